export type { Battle, BattleWinner } from './battle';
export { eloRatings, sequentialElo, type EloOptions, type EloRating, type EloResult } from './elo-ratings';
