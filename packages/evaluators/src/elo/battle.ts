/** The outcome of one pairwise comparison: which side won, or a tie. */
export type BattleWinner = 'A' | 'B' | 'tie';

/** One pairwise comparison between two models (a judge's verdict on their answers to one question). */
export interface Battle {
  readonly modelA: string;
  readonly modelB: string;
  readonly winner: BattleWinner;
}
