import { memo, useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { Architecture } from '../schema/architecture';
import { ARCHITECTURE_TITLES } from '../schema/architecture';
import { extent, linearAxis, logAxis } from './chart-ticks';
import { type LossRow, lossColumn } from './loss-rows';
import { modelColor } from './model-colors';
import { useTheme } from './theme';

export interface LossLine {
  slot: number;
  arch: Architecture;
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
  const tick = { fill: theme.muted, fontSize: 12 };
  // domains and ticks here, not by recharts' nice-tick search (decimal.js) on every redraw
  const axes = useMemo(() => {
    const [lo, hi] = extent(
      rows,
      lines.map((m) => lossColumn(m.slot)),
    );
    const last = rows.length ? rows[rows.length - 1].step : 0;
    return { x: linearAxis(0, last, 6, true), y: log ? logAxis(lo, hi) : linearAxis(0, hi, 5) };
  }, [rows, lines, log]);
  return (
    <LineChart
      className="loss-chart"
      responsive
      style={{ width: '100%', height: 'var(--chart-height-small)' }}
      data={rows}
      margin={{ top: 8, right: 16, bottom: 24, left: 12 }}
    >
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
        label={{ value: 'training step', position: 'bottom', offset: 4, fill: theme.text }}
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
        tickFormatter={(v: number) =>
          v >= 100 || v < 0.01 ? v.toExponential(0) : String(Number(v.toPrecision(2)))
        }
      />
      {lines.map((m) => (
        <Line
          key={m.slot}
          dataKey={lossColumn(m.slot)}
          name={ARCHITECTURE_TITLES[m.arch] ?? m.arch}
          type="linear"
          stroke={modelColor(theme, m.arch)}
          strokeWidth={2}
          dot={false}
          isAnimationActive={false}
          connectNulls
        />
      ))}
      <Tooltip
        formatter={(v) => (typeof v === 'number' ? v.toPrecision(4) : String(v))}
        labelFormatter={(x) => `step ${Math.round(Number(x))}`}
        contentStyle={{
          background: theme.dark ? '#1d232b' : '#ffffff',
          borderColor: theme.grid,
          color: theme.text,
        }}
      />
      <Legend
        verticalAlign="top"
        align="left"
        itemSorter={null}
        wrapperStyle={{ paddingBottom: 8 }}
        formatter={(value) => <span style={{ color: theme.text }}>{value}</span>}
      />
    </LineChart>
  );
});
