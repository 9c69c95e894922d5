/** Training (no DOM or Node APIs): the Trainer, Adam, losses, checkpoints and presets. */
export { Adam, type AdamMoments, type AdamSettings, clipByGlobalNorm, globalNorm } from './adam';
export {
  CHECKPOINT_VERSION,
  type CheckpointFiles,
  type CheckpointInfo,
  describeLoadReport,
  IGNORABLE,
  inspectCheckpoint,
  type LoadReport,
  loadCheckpoint,
  type ShapeMismatch,
  saveCheckpoint,
  trainerFromCheckpoint,
} from './checkpoint';
export { type ModelPredictions, type PredictedChunk, predictEvaluation, scoreEvaluation } from './evaluate';
export { batchLoss, bceWithLogits, type HeadTargets, headTargets, maskedLoss } from './losses';
export {
  CLASSROOM,
  type ClassroomSettings,
  DEFAULT_ARCHITECTURES,
  isPresetName,
  PRESET_NAMES,
  type PresetName,
  paperPositionRows,
  presetExperiment,
  presetInput,
} from './presets';
export { CheckpointFormatError, readSafetensors, writeSafetensors } from './safetensors';
export {
  type Divergence,
  type EvaluateOptions,
  findTask,
  type LossRecord,
  modelCurveKey,
  modelLabel,
  Trainer,
  type TrainerOptions,
  type TrainerState,
  type TrainOptions,
  type TrainProgress,
  type TrainResult,
} from './trainer';
