import type { PromptSketch } from '../../../tasks/types';
import { BitsSketch } from './BitsSketch';
import { PairsSketch } from './PairsSketch';
import { ScatterSketch } from './ScatterSketch';
import { SKETCH_H, SKETCH_W } from './scale';

/** An SVG drawing of one sampled prompt; its caption is its accessible name. */
export function PromptSketchView({ sketch }: { sketch: PromptSketch | null }) {
  const caption = sketch?.caption ?? 'No picture of a prompt for this task.';
  return (
    <svg className="sketch" viewBox={`0 0 ${SKETCH_W} ${SKETCH_H}`} role="img" aria-label={caption}>
      {sketch?.kind === 'scatter' && <ScatterSketch sketch={sketch} />}
      {sketch?.kind === 'bits' && <BitsSketch sketch={sketch} />}
      {sketch?.kind === 'pairs' && <PairsSketch sketch={sketch} />}
    </svg>
  );
}
