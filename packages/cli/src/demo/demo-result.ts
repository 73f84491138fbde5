import type { AdherenceResult } from '@steerlm/evaluators';
import type { AttributeModelQuality } from './train-attribute-model';
import type { ResolvedDemoOptions } from './demo-options';
import type { CorrectnessSample } from './evaluate-demo-model';

/** Spearman ρ and the mean measured value per requested value of one steered attribute. */
export interface SteeringClaim {
  readonly spearman: number | null;
  /** Mean measured value at each requested value of the grid, in order. */
  readonly curve: readonly number[];
  readonly requested: readonly number[];
}

/** A goal of the demo, its measured value and whether it was met. */
export interface DemoGoal {
  readonly target: string;
  readonly value: number | null;
  readonly met: boolean;
}

/** Every number the demo claims, small enough for one JSON line. */
export interface DemoClaims {
  readonly seed: number;
  readonly backend: string;
  readonly wallSeconds: number;
  /** The APM's error against the truth on the responses it annotated. */
  readonly apm: {
    readonly meanAbsoluteError: Readonly<Record<string, number>>;
    readonly roundedMeanAbsoluteError: Readonly<Record<string, number>>;
    readonly exactRate: Readonly<Record<string, number>>;
    readonly trainedOn: number;
    readonly annotated: number;
  };
  /** Shares of correct answers (0..1). */
  readonly correctness: {
    /** In the training data. */
    readonly trainingData: number;
    readonly conditionedAtTopQuality: number;
    readonly plainSft: number;
    /** conditionedAtTopQuality − plainSft, in percentage points. */
    readonly gainPoints: number;
  };
  /** The conditioned model's steering, measured by the ground-truth scorer. */
  readonly steering: Readonly<Record<string, SteeringClaim>>;
  readonly bootstrap: {
    readonly samples: number;
    readonly combinations: number;
    readonly correctnessBefore: number;
    readonly correctnessAfter: number;
    readonly gainPoints: number;
    readonly steeringAfter: Readonly<Record<string, SteeringClaim>>;
  };
  readonly goals: Readonly<Record<string, DemoGoal>>;
}

/** How long one stage of the demo took. */
export interface DemoStage {
  readonly name: string;
  readonly seconds: number;
}

/** Everything runDemo measured, with the paths of its report. */
export interface DemoResult {
  readonly claims: DemoClaims;
  readonly options: Omit<ResolvedDemoOptions, 'signal'>;
  readonly stages: readonly DemoStage[];
  readonly apm: AttributeModelQuality;
  readonly tokenizer: { readonly vocabSize: number; readonly meanTokensPerConversation: number };
  readonly models: {
    readonly parameters: number;
    readonly conditionedFinalLoss: number;
    readonly plainFinalLoss: number;
    readonly bootstrapFinalLoss: number | null;
    readonly conditionedLossCurve: readonly { step: number; loss: number }[];
    readonly plainLossCurve: readonly { step: number; loss: number }[];
  };
  readonly steering: AdherenceResult;
  readonly steeringAfterBootstrap: AdherenceResult;
  readonly correctnessSamples: {
    readonly conditioned: readonly CorrectnessSample[];
    readonly plain: readonly CorrectnessSample[];
    readonly bootstrapped: readonly CorrectnessSample[];
  };
  readonly report: { readonly json: string; readonly html: string };
}
