import { memo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { RecallBreakdown } from '../../eval/recall';
import type { Architecture } from '../../schema/architecture';
import { ARCHITECTURE_TITLES } from '../../schema/architecture';
import { useTheme } from '../theme';
import { modelColor } from './model-colors';
import { ReadingNote } from './ReadingNote';
import { RecallReading } from './reading-notes';

/**
 * Recall accuracy against the position of the queried pair (1 = the first pair of the prompt): a
 * fixed-size state forgets early pairs, attention does not.
 */
export interface RecallLine {
  slot: number;
  arch: Architecture;
  recall: RecallBreakdown | null;
}

export const RecallChart = memo(function RecallChart({ lines }: { lines: readonly RecallLine[] }) {
  const theme = useTheme();
  const withRecall = lines.filter((m) => m.recall);
  if (withRecall.length === 0) return null;
  const n = Math.max(...withRecall.map((m) => m.recall!.pair.length));
  const rows = Array.from({ length: n }, (_, j) => {
    const row: Record<string, number> = { pair: j + 1 };
    for (const m of withRecall) {
      const v = m.recall!.accuracy[j];
      if (Number.isFinite(v)) row[`m${m.slot}`] = v;
    }
    return row;
  });
  const tick = { fill: theme.muted, fontSize: 12 };
  return (
    <figure className="recall-chart">
      <figcaption>Recall accuracy by the position of the queried pair</figcaption>
      <LineChart
        responsive
        style={{ width: '100%', height: 220 }}
        data={rows}
        margin={{ top: 8, right: 16, bottom: 24, left: 12 }}
      >
        <CartesianGrid stroke={theme.grid} strokeDasharray="2 4" />
        <XAxis
          dataKey="pair"
          type="number"
          domain={[1, n]}
          allowDecimals={false}
          tick={tick}
          stroke={theme.muted}
          label={{ value: 'queried pair (1 = earliest)', position: 'bottom', offset: 4, fill: theme.text }}
        />
        <YAxis
          domain={[0, 1]}
          tick={tick}
          stroke={theme.muted}
          label={{
            value: 'accuracy',
            angle: -90,
            position: 'insideLeft',
            offset: 0,
            fill: theme.text,
            dy: 30,
          }}
        />
        {withRecall.map((m) => (
          <Line
            key={m.slot}
            dataKey={`m${m.slot}`}
            name={ARCHITECTURE_TITLES[m.arch]}
            stroke={modelColor(theme, m.arch)}
            strokeWidth={2}
            dot={n <= 20}
            isAnimationActive={false}
            connectNulls
          />
        ))}
        <Tooltip
          formatter={(v) => (typeof v === 'number' ? v.toFixed(3) : String(v))}
          labelFormatter={(x) => `pair ${x}`}
        />
        <Legend verticalAlign="top" align="left" />
      </LineChart>
      <ReadingNote>
        <RecallReading />
      </ReadingNote>
    </figure>
  );
});
