import { useLab } from '../state';
import { TaskCard } from './TaskCard';

/** The task picker: a radio group named "Task", one card per task in the paper's order. */
export function TaskGallery() {
  const gallery = useLab((s) => s.gallery);
  const selected = useLab((s) => s.selectedTask);
  const selectTask = useLab((s) => s.selectTask);
  return (
    <fieldset className="task-gallery">
      <legend>Task</legend>
      <p className="hint">Each card shows one prompt drawn from the task. Arrow keys move between tasks.</p>
      <div className="task-grid">
        {gallery.map((card) => (
          <TaskCard
            key={card.name}
            card={card}
            checked={card.name === selected}
            onSelect={() => selectTask(card.name)}
          />
        ))}
      </div>
    </fieldset>
  );
}
