import { memo, useMemo } from 'react';
import { usePresent } from '../../app/lesson/lesson-instance';
import { isModelCurve } from '../../eval/icl-combine';
import type { IclCurveSet } from '../../eval/types';
import { curveColors, useTheme } from '../theme';
import { extent, linearAxis } from './chart-ticks';
import { curveRows, isAccuracy, singlePointBars, yDomain } from './curve-rows';
import { IclBars } from './IclBars';
import { archOfCurveKey, modelColor } from './model-colors';
import { PlotChart, type PlotSeries } from './PlotChart';

const formatValue = (v: number) => v.toFixed(3);
const formatX = (x: number) => String(x);
const formatY = (v: number) => String(Number(v.toFixed(2)));
const readoutTitle = (x: number) => `${x} in-context examples`;
const MARGIN = { top: 8, right: 64, bottom: 24, left: 12 };
// the present layout: room for the larger y label
const MARGIN_PRESENT = { ...MARGIN, left: 36 };

/**
 * ICL curves: mean per curve as a line, its 5–95 % band shaded, the chance level dashed. Model
 * curves (keys 'model:...') are drawn thick in their architecture's colour; when there are any,
 * the baselines are drawn thinner and dashed behind them, without their bands (shown until the
 * models' curves arrive; the CSV and JSON exports keep them). A PlotChart (a plain SVG): it is
 * redrawn once a second while models train.
 */
export const IclChart = memo(function IclChart({ set }: { set: IclCurveSet }) {
  const theme = useTheme();
  const rows = useMemo(() => curveRows(set), [set]);
  const axes = useMemo(() => {
    const [x0, x1] = extent(rows, ['examples']);
    const x = linearAxis(x0, x1, 8, true);
    const [y0, y1] = yDomain(set);
    const y = linearAxis(y0, y1, 5);
    const xDomain: [number, number] = Number.isFinite(x0) ? [x0, x1] : x.domain;
    return {
      x: {
        domain: xDomain,
        ticks: x.ticks.filter((t) => t >= xDomain[0] && t <= xDomain[1]),
        label: 'number of in-context examples',
        format: formatX,
      },
      y: {
        domain: [y0, y1] as [number, number],
        ticks: y.ticks.filter((t) => t <= y1 + 1e-12),
        label: set.yLabel,
        format: formatY,
      },
    };
  }, [rows, set]);
  const series = useMemo<PlotSeries[]>(() => {
    const few = rows.length <= 3;
    const baselineKeys = set.curves.filter((c) => !isModelCurve(c.key)).map((c) => c.key);
    const baseColors = curveColors(theme, baselineKeys);
    const hasModels = set.curves.some((c) => isModelCurve(c.key));
    const bandOpacity = (set.curves.length > 4 ? 0.5 : 1) * (theme.dark ? 0.16 : 0.13);
    return set.curves.map((curve) => {
      const model = isModelCurve(curve.key);
      const arch = archOfCurveKey(curve.key);
      const color = arch ? modelColor(theme, arch) : baseColors[baselineKeys.indexOf(curve.key)];
      const n = curve.examples.length;
      const y = Array.from({ length: n }, (_, i) => (curve.count[i] === 0 ? Number.NaN : curve.mean[i]));
      const finite = (v: ArrayLike<number>) =>
        Array.from({ length: n }, (_, i) =>
          Number.isFinite(y[i]) && Number.isFinite(v[i]) ? v[i] : Number.NaN,
        );
      return {
        key: curve.key,
        label: curve.label,
        color,
        width: model ? 3 : hasModels ? 1.5 : 2,
        dash: hasModels && !model ? '5 4' : undefined,
        x: curve.examples,
        y,
        // with models on the chart only their bands are shaded: the baselines' bands behind them
        // were clutter
        band:
          hasModels && !model
            ? undefined
            : { lo: finite(curve.lo), hi: finite(curve.hi), opacity: bandOpacity },
        dots: few,
      };
    });
  }, [rows, set, theme]);
  // the present layout: the legend beside the chart, not above it
  const present = usePresent();
  // one x (vector MQAR): bars, not a column of dots
  const single = useMemo(() => singlePointBars(set), [set]);
  if (single) {
    const color = (key: string) => series.find((c) => c.key === key)?.color ?? theme.text;
    return <IclBars set={set} examples={single.examples} bars={single.bars} color={color} />;
  }
  return (
    <PlotChart
      className="icl-chart"
      height="var(--chart-height)"
      label={`${set.yLabel} by number of in-context examples: ${series.map((c) => c.label).join(', ')}`}
      series={series}
      x={axes.x}
      y={axes.y}
      reference={{ y: set.chance, label: isAccuracy(set) ? 'chance' : 'predict 0', color: theme.chance }}
      legend={present ? 'right' : 'top'}
      margin={present ? MARGIN_PRESENT : MARGIN}
      theme={theme}
      readoutTitle={readoutTitle}
      formatValue={formatValue}
    />
  );
});
