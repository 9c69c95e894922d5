import { useExperiment, useLab } from '../../app';
import { isLocked } from '../../app/share/classroom';
import { useShare } from '../../app/share/share';
import { TaskCard } from './TaskCard';

/** The task picker: a radio group named "Task", one card per task in the paper's order. */
export function TaskGallery() {
  const gallery = useLab((s) => s.gallery);
  const selected = useExperiment((s) => s.draft.task);
  const setTask = useExperiment((s) => s.setTask);
  const locked = useShare((s) => isLocked(s.classroom, 'task'));
  return (
    <fieldset className="task-gallery" disabled={locked}>
      <legend>Task</legend>
      <p className="hint">Each card shows one prompt drawn from the task. Arrow keys move between tasks.</p>
      <div className="task-grid">
        {gallery.map((card) => (
          <TaskCard
            key={card.name}
            card={card}
            checked={card.name === selected}
            onSelect={() => setTask(card.name)}
          />
        ))}
      </div>
    </fieldset>
  );
}
