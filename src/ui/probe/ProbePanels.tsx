import { useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { holdForRedraw, useModelField } from '../../app';
import { type ProbeSource, shownProbe } from '../../app/probe/probe-lab';
import { useProbeLab } from '../../app/probe/probe-lab-instance';
import { useRecording } from '../../app/recordings/replay-player-instance';
import { ARCHITECTURE_TITLES, type Architecture } from '../../schema/architecture';
import type { AttentionProbe, MambaProbe, ProbeResult, S4Probe } from '../../workers/training/protocol';
import { type AxisSpec, Heatmap, SignLegend, Sparkline } from '../charts/Heatmap';
import { RoleLegend } from '../charts/MapParts';
import { type TokenLabel, tokenLabels } from '../charts/map-axes';
import { ReadingNote } from '../charts/ReadingNote';
import { AttentionReading, SsmReading } from '../charts/reading-notes';
import { useThrottled } from '../charts/use-throttled';

interface Probed {
  slot: number;
  arch: Architecture;
  probe: ProbeResult | null;
  probeStep: number | null;
  source: ProbeSource;
  /** what each token of the probed prompt is (x, y, query, ...) */
  labels: TokenLabel[] | null;
}

/**
 * The probe each model's maps show (the probe lab's choice: a replayed checkpoint, the edited
 * prompt, or the live probe); re-renders only when one of them changes (live probes at most once a
 * second).
 */
function useProbedModels(): Probed[] {
  const slots = useModelField('slot');
  const archs = useModelField('arch');
  const probes = useThrottled(useModelField('probe'), 1000, 667, holdForRedraw);
  const steps = useModelField('probeStep');
  const lab = useProbeLab(
    useShallow((s) => ({
      draft: s.draft,
      edited: s.edited,
      edits: s.edits,
      replayStep: s.replayStep,
      replays: s.replays,
    })),
  );
  return useMemo(
    () =>
      slots.map((slot, i) => {
        const shown = shownProbe(lab, { slot, probe: probes[i] ?? null, probeStep: steps[i] ?? null });
        const result = shown.result;
        const labels = result ? tokenLabels(lab.draft, result.seqLen) : null;
        return { slot, arch: archs[i], probe: result, probeStep: shown.step, source: shown.source, labels };
      }),
    [slots, archs, probes, steps, lab],
  );
}

const SOURCE_NOTE: Record<ProbeSource, string> = {
  live: '',
  edited: ' · edited prompt',
  replay: ' · replayed checkpoint',
};

const title = (m: Probed) => ARCHITECTURE_TITLES[m.arch] ?? m.arch;

/** The axes of a token-by-token map: rows attend, columns are attended to. */
function tokenAxes(labels: TokenLabel[] | null): { rowAxis: AxisSpec; colAxis: AxisSpec } {
  return {
    rowAxis: { name: 'row', labels },
    colAxis: { name: 'column', labels },
  };
}

/** The "Attention" region: softmax(QK^T/sqrt(h)) per layer and head on the probe prompt. */
export function AttentionPanel() {
  const models = useProbedModels().filter((m) => m.probe?.layers.some((l) => l.kind === 'attention'));
  const recording = useRecording();
  return (
    <section className="panel probe-panel" aria-label="Attention">
      <h2>Attention</h2>
      <p className="hint">
        Every model sees the same probe prompt. Row = the token attending, column = the token attended to
        (earlier tokens only); darker = more weight. The strips along the axes mark each token’s kind.
      </p>
      <RoleLegend labels={models[0]?.labels ?? null} />
      {models.length === 0 ? (
        <p className="empty">
          Attention maps of the Transformer and the hybrids appear here once they are built.
        </p>
      ) : (
        models.map((m) => (
          <div className="probe-model" key={m.slot}>
            <h3>
              {title(m)}{' '}
              <span className="muted">
                · {recording && m.source === 'live' ? 'recorded ' : ''}step {m.probeStep}
                {SOURCE_NOTE[m.source]}
              </span>
            </h3>
            {m
              .probe!.layers.filter((l): l is AttentionProbe => l.kind === 'attention')
              .map((l) => (
                <div className="probe-layer" key={l.layer}>
                  <span className="layer-name">block {l.layer + 1}</span>
                  <div className="maps">
                    {Array.from({ length: l.nHead }, (_, h) => `head ${h + 1}`).map((name, h) => (
                      <Heatmap
                        key={name}
                        data={l.weights.subarray(h * l.seqLen * l.seqLen, (h + 1) * l.seqLen * l.seqLen)}
                        rows={l.seqLen}
                        cols={l.seqLen}
                        size={144}
                        caption={`head ${h + 1}`}
                        {...tokenAxes(m.labels)}
                        label={`${title(m)} block ${l.layer + 1} head ${h + 1}: attention over ${l.seqLen} tokens`}
                      />
                    ))}
                  </div>
                </div>
              ))}
          </div>
        ))
      )}
      <ReadingNote>
        <AttentionReading />
      </ReadingNote>
    </section>
  );
}

/** The "SSM state" region: Mamba's Delta, ||h_t|| and implicit attention (and S4's) on the same prompt. */
export function SsmPanel() {
  const recording = useRecording();
  const models = useProbedModels().filter((m) =>
    m.probe?.layers.some((l) => l.kind === 'mamba' || l.kind === 's4'),
  );
  return (
    <section className="panel probe-panel" aria-label="SSM state">
      <h2>SSM state</h2>
      <p className="hint">
        Δ per channel over the prompt (how strongly each token is written into the state), the state’s size
        ‖h_t‖, and the implicit attention the selective scan amounts to, comparable with the attention maps.
      </p>
      <RoleLegend labels={models[0]?.labels ?? null} />
      {models.length > 0 && <SignLegend />}
      {models.length === 0 ? (
        <p className="empty">
          Mamba’s selective-scan state appears here for Mamba, MambaFormer and the hybrids.
        </p>
      ) : (
        models.map((m) => (
          <div className="probe-model" key={m.slot}>
            <h3>
              {title(m)}{' '}
              <span className="muted">
                · {recording && m.source === 'live' ? 'recorded ' : ''}step {m.probeStep}
                {SOURCE_NOTE[m.source]}
              </span>
            </h3>
            {m.probe!.layers.map((l) =>
              l.kind === 'mamba' ? (
                <MambaLayer key={l.layer} model={title(m)} layer={l} labels={m.labels} />
              ) : l.kind === 's4' ? (
                <S4Layer key={l.layer} model={title(m)} layer={l} labels={m.labels} />
              ) : null,
            )}
          </div>
        ))
      )}
      <ReadingNote>
        <SsmReading />
      </ReadingNote>
    </section>
  );
}

interface LayerProps<P> {
  model: string;
  layer: P;
  labels: TokenLabel[] | null;
}

function MambaLayer({ model, layer: l, labels }: LayerProps<MambaProbe>) {
  return (
    <div className="probe-layer">
      <span className="layer-name">block {l.layer + 1}</span>
      <div className="maps">
        <Heatmap
          data={l.delta}
          rows={l.seqLen}
          cols={l.dInner}
          transpose
          box={{ width: 168, height: 112 }}
          caption="Δ (channels × tokens)"
          rowAxis={{ name: 'channel', labels: null }}
          colAxis={{ name: 'token', labels }}
          label={`${model} block ${l.layer + 1}: Delta of ${l.dInner} channels over ${l.seqLen} tokens`}
        />
        <Sparkline
          tokens={{ name: 'token', labels }}
          values={l.stateNorm}
          label={`${model} block ${l.layer + 1}: state norm over ${l.seqLen} tokens`}
        />
        {l.implicitAttention && (
          <Heatmap
            data={l.implicitAttention}
            rows={l.seqLen}
            cols={l.seqLen}
            scale="diverging"
            size={144}
            caption="implicit attention"
            {...tokenAxes(labels)}
            label={`${model} block ${l.layer + 1}: implicit attention over ${l.seqLen} tokens`}
          />
        )}
      </div>
    </div>
  );
}

function S4Layer({ model, layer: l, labels }: LayerProps<S4Probe>) {
  return (
    <div className="probe-layer">
      <span className="layer-name">block {l.layer + 1}</span>
      <div className="maps">
        <Heatmap
          data={l.kernel}
          rows={l.channels}
          cols={l.seqLen}
          scale="diverging"
          box={{ width: 168, height: 112 }}
          caption="S4 kernel (channels × lag; lag 0 = the token itself)"
          rowAxis={{ name: 'channel', labels: null }}
          colAxis={{ name: 'lag', labels: null, from: 0 }}
          label={`${model} block ${l.layer + 1}: S4 convolution kernel`}
        />
        <Heatmap
          data={l.implicitAttention}
          rows={l.seqLen}
          cols={l.seqLen}
          scale="diverging"
          size={144}
          caption="implicit attention"
          {...tokenAxes(labels)}
          label={`${model} block ${l.layer + 1}: S4 implicit attention over ${l.seqLen} tokens`}
        />
      </div>
    </div>
  );
}
