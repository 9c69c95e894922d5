/**
 * The paper's training settings per task (paper.md section 2): constant learning rate, number of
 * steps and global-norm clip (null = no clipping). Batch 64 and Adam(0.9, 0.999, 1e-8) everywhere.
 */
import type { TaskName } from '../tasks/types';

export interface TrainingDefaults {
  lr: number;
  steps: number;
  clip: number | null;
}

export const PAPER_TRAINING: Record<TaskName, TrainingDefaults> = {
  'linear-regression': { lr: 1e-4, steps: 500_000, clip: 10 },
  'sparse-linear-regression': { lr: 1e-4, steps: 500_000, clip: 10 },
  'relu-nn-regression': { lr: 1e-4, steps: 500_000, clip: 10 },
  'decision-tree': { lr: 4e-4, steps: 500_000, clip: 10 },
  'orthogonal-outlier-regression': { lr: 1e-4, steps: 500_000, clip: 10 },
  'many-outlier-regression': { lr: 1e-4, steps: 1_000_000, clip: 10 },
  'sparse-parity': { lr: 4e-4, steps: 500_000, clip: 10 },
  'vector-mqar': { lr: 2e-4, steps: 500_000, clip: 100 },
  'chain-of-thought': { lr: 1e-4, steps: 500_000, clip: null },
  // Not in the paper's table: Zoology trains MQAR with a higher rate; a browser-sized default.
  'token-mqar': { lr: 1e-3, steps: 20_000, clip: 10 },
};
