import { memo, useMemo, useRef } from 'react';
import type { Architecture } from '../../schema/architecture';
import { ARCHITECTURE_TITLES } from '../../schema/architecture';
import { useTheme } from '../theme';
import { type Axis, extent, formatLogTick, keepAxis, linearAxis, logAxis } from './chart-ticks';
import { type LossRow, lineWidth, lossColumn } from './loss-rows';
import { modelColor } from './model-colors';
import { PlotChart, type PlotSeries } from './PlotChart';

export interface LossLine {
  slot: number;
  arch: Architecture;
}

const MARGIN = { top: 8, right: 16, bottom: 24, left: 12 };
const formatValue = (v: number) => v.toPrecision(4);
const formatStep = (x: number) => `step ${Math.round(x)}`;
const formatX = (x: number) => String(x);

/**
 * One line per model (PlotChart: a plain SVG, redrawn once a second while the models train, so the
 * page keeps its core between the workers' steps; redrawn only when its data changes).
 */
export const LossChart = memo(function LossChart({
  rows,
  lines,
  log,
}: {
  rows: LossRow[];
  lines: readonly LossLine[];
  log: boolean;
}) {
  const theme = useTheme();
  // the same axis keeps its object while its ticks do not change
  const previous = useRef<{ x: Axis; y: Axis } | null>(null);
  const axes = useMemo(() => {
    const [lo, hi] = extent(
      rows,
      lines.map((m) => lossColumn(m.slot)),
    );
    const last = rows.length ? rows[rows.length - 1].step : 0;
    const x = keepAxis(previous.current?.x ?? null, linearAxis(0, last, 6, true));
    const y = keepAxis(previous.current?.y ?? null, log ? logAxis(lo, hi) : linearAxis(0, hi, 5));
    return x === previous.current?.x && y === previous.current?.y ? previous.current : { x, y };
  }, [rows, lines, log]);
  previous.current = axes;
  const series = useMemo<PlotSeries[]>(() => {
    const steps = rows.map((r) => r.step);
    return lines.map((m, i) => {
      const col = lossColumn(m.slot);
      return {
        key: String(m.slot),
        label: ARCHITECTURE_TITLES[m.arch] ?? m.arch,
        color: modelColor(theme, m.arch),
        // later lines drawn thinner on top: a curve under another stays visible as its outline
        width: lineWidth(i, lines.length),
        x: steps,
        y: rows.map((r) => r[col] ?? Number.NaN),
      };
    });
  }, [rows, lines, theme]);
  const xAxis = useMemo(
    () => ({ domain: axes.x.domain, ticks: axes.x.ticks, label: 'training step', format: formatX }),
    [axes.x],
  );
  const yAxis = useMemo(
    () => ({
      domain: axes.y.domain,
      ticks: axes.y.ticks,
      label: 'training loss',
      format: formatLogTick,
      log,
    }),
    [axes.y, log],
  );
  return (
    <PlotChart
      className="loss-chart"
      height="var(--chart-height-small)"
      label={`Training loss by training step: ${series.map((s) => s.label).join(', ')}`}
      series={series}
      x={xAxis}
      y={yAxis}
      legend="top"
      margin={MARGIN}
      yAxisWidth={56}
      theme={theme}
      readoutTitle={formatStep}
      formatValue={formatValue}
    />
  );
});
