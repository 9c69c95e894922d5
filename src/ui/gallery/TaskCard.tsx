import type { GalleryCard } from '../../app/stores/gallery';
import { PromptSketchView } from './sketches/PromptSketchView';

interface Props {
  card: GalleryCard;
  checked: boolean;
  onSelect: () => void;
}

/**
 * One task as a native radio inside its card. The radio's accessible name is the task title only;
 * the summary is its description.
 */
export function TaskCard({ card, checked, onSelect }: Props) {
  const titleId = `task-${card.name}-title`;
  const summaryId = `task-${card.name}-summary`;
  return (
    <label className="task-card" title={card.summary}>
      <input
        className="visually-hidden"
        type="radio"
        name="task"
        value={card.name}
        checked={checked}
        onChange={onSelect}
        aria-labelledby={titleId}
        aria-describedby={summaryId}
      />
      <span className="task-card-title" id={titleId}>
        {card.title}
      </span>
      <PromptSketchView sketch={card.sketch} />
      <span className="task-card-summary" id={summaryId}>
        {card.summary}
      </span>
    </label>
  );
}
