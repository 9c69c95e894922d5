import { memo, useMemo, useRef } from 'react';
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { Architecture } from '../../schema/architecture';
import { ARCHITECTURE_TITLES } from '../../schema/architecture';
import { type Theme, useTheme } from '../theme';
import { type Axis, extent, formatLogTick, keepAxis, linearAxis, logAxis } from './chart-ticks';
import { type LossRow, lineWidth, lossColumn } from './loss-rows';
import { modelColor } from './model-colors';

export interface LossLine {
  slot: number;
  arch: Architecture;
}

// props that do not change between redraws keep their identity (recharts compares them)
const CHART_STYLE = { width: '100%', height: 'var(--chart-height-small)' };
const MARGIN = { top: 8, right: 16, bottom: 24, left: 12 };
const LEGEND_STYLE = { paddingBottom: 8 };
const formatValue = (v: unknown) => (typeof v === 'number' ? v.toPrecision(4) : String(v));
const formatStep = (x: unknown) => `step ${Math.round(Number(x))}`;

function themed(theme: Theme) {
  return {
    tick: { fill: theme.muted, fontSize: 12 },
    xLabel: { value: 'training step', position: 'bottom' as const, offset: 4, fill: theme.text },
    yLabel: {
      value: 'training loss',
      angle: -90,
      position: 'insideLeft' as const,
      offset: 0,
      fill: theme.text,
      dy: 40,
    },
    tooltip: {
      background: theme.dark ? '#1d232b' : '#ffffff',
      borderColor: theme.grid,
      color: theme.text,
    },
    legend: (value: unknown) => <span style={{ color: theme.text }}>{String(value)}</span>,
  };
}

/** One line per model (recharts; loaded in its own chunk; redrawn only when its data changes). */
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
  const styled = useMemo(() => themed(theme), [theme]);
  const tick = styled.tick;
  // domains and ticks here, not by recharts' nice-tick search (decimal.js) on every redraw; the
  // same axis keeps its object, so recharts does not recompute (and redraw) unchanged axes
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
  return (
    <LineChart className="loss-chart" responsive style={CHART_STYLE} data={rows} margin={MARGIN}>
      <CartesianGrid stroke={theme.grid} strokeDasharray="2 4" />
      <XAxis
        dataKey="step"
        type="number"
        domain={axes.x.domain}
        ticks={axes.x.ticks}
        niceTicks="none"
        allowDecimals={false}
        tick={tick}
        stroke={theme.muted}
        label={styled.xLabel}
      />
      <YAxis
        scale={log ? 'log' : 'linear'}
        domain={axes.y.domain}
        ticks={axes.y.ticks}
        niceTicks="none"
        allowDataOverflow
        tick={tick}
        stroke={theme.muted}
        width={56}
        tickFormatter={formatLogTick}
        label={styled.yLabel}
      />
      {lines.map((m, i) => (
        <Line
          key={m.slot}
          dataKey={lossColumn(m.slot)}
          name={ARCHITECTURE_TITLES[m.arch] ?? m.arch}
          type="linear"
          stroke={modelColor(theme, m.arch)}
          // later lines drawn thinner on top: a curve under another stays visible as its outline
          strokeWidth={lineWidth(i, lines.length)}
          dot={false}
          isAnimationActive={false}
          connectNulls
        />
      ))}
      <Tooltip formatter={formatValue} labelFormatter={formatStep} contentStyle={styled.tooltip} />
      <Legend
        verticalAlign="top"
        align="left"
        itemSorter={null}
        wrapperStyle={LEGEND_STYLE}
        formatter={styled.legend}
      />
    </LineChart>
  );
});
