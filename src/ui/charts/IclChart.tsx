import { memo, useMemo } from 'react';
import {
  Area,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ReferenceLine,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { usePresent } from '../../app/lesson/lesson-instance';
import { isModelCurve } from '../../eval/icl-combine';
import type { IclCurveSet } from '../../eval/types';
import { curveColors, useTheme } from '../theme';
import { extent, linearAxis } from './chart-ticks';
import { bandColumn, curveRows, isAccuracy, meanColumn, singlePointBars, yDomain } from './curve-rows';
import { IclBars } from './IclBars';
import { archOfCurveKey, modelColor } from './model-colors';

const formatValue = (v: unknown) => (typeof v === 'number' ? v.toFixed(3) : String(v));

/**
 * ICL curves: mean per curve as a line, its 5–95 % band shaded, the chance level dashed. Model
 * curves (keys 'model:...') are drawn thick in their architecture's colour; when there are any,
 * the baselines are drawn thinner and dashed behind them, without their bands (shown until the
 * models' curves arrive; the CSV and JSON exports keep them).
 */
export const IclChart = memo(function IclChart({ set }: { set: IclCurveSet }) {
  const theme = useTheme();
  const rows = useMemo(() => curveRows(set), [set]);
  // domains and ticks here, not by recharts' nice-tick search (decimal.js) on every redraw
  const axes = useMemo(() => {
    const [x0, x1] = extent(rows, ['examples']);
    const x = linearAxis(x0, x1, 8, true);
    const [y0, y1] = yDomain(set);
    const y = linearAxis(y0, y1, 5);
    const xDomain: [number, number] = Number.isFinite(x0) ? [x0, x1] : x.domain;
    return {
      x: { domain: xDomain, ticks: x.ticks.filter((t) => t >= xDomain[0] && t <= xDomain[1]) },
      y: { domain: [y0, y1] as [number, number], ticks: y.ticks.filter((t) => t <= y1 + 1e-12) },
    };
  }, [rows, set]);
  const few = rows.length <= 3;
  const baselineKeys = set.curves.filter((c) => !isModelCurve(c.key)).map((c) => c.key);
  const baseColors = curveColors(theme, baselineKeys);
  const hasModels = set.curves.some((c) => isModelCurve(c.key));
  const color = (key: string) => {
    const arch = archOfCurveKey(key);
    return arch ? modelColor(theme, arch) : baseColors[baselineKeys.indexOf(key)];
  };
  const bandOpacity = (set.curves.length > 4 ? 0.5 : 1) * (theme.dark ? 0.16 : 0.13);
  const tick = { fill: theme.muted, fontSize: 12 };
  // the present layout: the legend beside the chart, not above it
  const present = usePresent();
  // one x (vector MQAR): bars, not a column of dots
  const single = useMemo(() => singlePointBars(set), [set]);
  if (single) return <IclBars set={set} examples={single.examples} bars={single.bars} color={color} />;
  return (
    <ComposedChart
      className="icl-chart"
      responsive
      style={{ width: '100%', height: 'var(--chart-height)' }}
      data={rows}
      margin={{ top: 8, right: 64, bottom: 24, left: present ? 36 : 12 }}
    >
      <CartesianGrid stroke={theme.grid} strokeDasharray="2 4" />
      <XAxis
        dataKey="examples"
        type="number"
        domain={axes.x.domain}
        ticks={axes.x.ticks}
        niceTicks="none"
        allowDecimals={false}
        tick={tick}
        stroke={theme.muted}
        label={{ value: 'number of in-context examples', position: 'bottom', offset: 4, fill: theme.text }}
      />
      <YAxis
        domain={axes.y.domain}
        ticks={axes.y.ticks}
        niceTicks="none"
        allowDataOverflow
        tick={tick}
        stroke={theme.muted}
        tickFormatter={(v: number) => String(Number(v.toFixed(2)))}
        label={{ value: set.yLabel, angle: -90, position: 'insideLeft', offset: 0, fill: theme.text, dy: 60 }}
      />
      <ReferenceLine
        y={set.chance}
        stroke={theme.chance}
        strokeDasharray="6 5"
        strokeWidth={1.5}
        ifOverflow="extendDomain"
        label={{
          value: isAccuracy(set) ? 'chance' : 'predict 0',
          // beside the plot, not over the curves
          position: 'right',
          fill: theme.muted,
          fontSize: 12,
        }}
      />
      {set.curves.map((curve, i) =>
        // with models on the chart only their bands are shaded: the baselines' bands behind them
        // were clutter, and each band is a graphical item recharts recomputes on every redraw
        hasModels && !isModelCurve(curve.key) ? null : (
          <Area
            key={`band:${curve.key}`}
            dataKey={bandColumn(i)}
            type="linear"
            stroke="none"
            fill={color(curve.key)}
            fillOpacity={bandOpacity}
            legendType="none"
            tooltipType="none"
            isAnimationActive={false}
            activeDot={false}
          />
        ),
      )}
      {set.curves.map((curve, i) => {
        const model = isModelCurve(curve.key);
        return (
          <Line
            key={curve.key}
            dataKey={meanColumn(i)}
            name={curve.label}
            type="linear"
            stroke={color(curve.key)}
            strokeWidth={model ? 3 : hasModels ? 1.5 : 2}
            strokeDasharray={hasModels && !model ? '5 4' : undefined}
            dot={few ? { r: 4 } : false}
            isAnimationActive={false}
            connectNulls
          />
        );
      })}
      <Tooltip
        formatter={formatValue}
        labelFormatter={(x) => `${x} in-context examples`}
        contentStyle={{
          background: theme.dark ? '#1d232b' : '#ffffff',
          borderColor: theme.grid,
          color: theme.text,
        }}
      />
      <Legend
        {...(present
          ? {
              layout: 'vertical' as const,
              verticalAlign: 'middle' as const,
              align: 'right' as const,
              width: 420,
            }
          : { verticalAlign: 'top' as const, align: 'left' as const })}
        itemSorter={null}
        wrapperStyle={{ paddingBottom: 8 }}
        formatter={(value) => <span style={{ color: theme.text }}>{value}</span>}
      />
    </ComposedChart>
  );
});
