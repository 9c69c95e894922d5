/**
 * Sequence models of ICL Lab: the six architectures of the paper in TensorFlow.js.
 * See README.md in this folder for the API, the variable naming and the numerics tests.
 */
export type {
  ArchConfig,
  ArchKind,
  ArchSettings,
  HybridConfig,
  MambaConfig,
  MambaFormerConfig,
  S4Config,
  S4MambaConfig,
  TransformerConfig,
} from './config';
export { ARCH_KINDS, archConfigFromSettings, paperArchConfig, validateArchConfig } from './config';
export type { FusedScanArgs, ModelKernels } from './fused';
export type { BlockInfo, BlockKind, BuildOptions, HeadPositions, SequenceModel } from './model';
export { blockPlan, buildModel, countModelParameters, modelParamSpecs } from './model';
export type { ParamSpec } from './params';
export type { AttentionProbe, LayerProbe, MambaProbe, ProbeOptions, ProbeResult, S4Probe } from './probes';
export type { SelectiveScanFn } from './selective-scan-reference';
export { selectiveScanReference, selectiveScanSequential } from './selective-scan-reference';
