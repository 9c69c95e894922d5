/**
 * The task gallery: one card per task with a sketch of one sampled prompt. Tiny (one prompt per
 * task), so it runs on the main thread, seeded: Rng.derive(seed, 'gallery', task name).
 */
import { Rng } from '../../random/rng';
import { TASKS } from '../../tasks';
import { curriculumEnd } from '../../tasks/common';
import type { PromptSketch, TaskDefinition, TaskName } from '../../tasks/types';

export interface GalleryCard {
  name: TaskName;
  title: string;
  summary: string;
  /** null when the task could not draw its prompt (the card then says so) */
  sketch: PromptSketch | null;
}

export function sketchTask<P>(task: TaskDefinition<P>, seed: number): PromptSketch | null {
  try {
    const params = task.defaults;
    const batch = task.sample(
      Rng.derive(seed, 'gallery', task.name),
      params,
      1,
      curriculumEnd(task.curriculum(params)),
    );
    return task.sketch(batch, 0, params);
  } catch {
    return null;
  }
}

export function buildGallery(seed: number): GalleryCard[] {
  return TASKS.map((task) => ({
    name: task.name,
    title: task.title,
    summary: task.summary,
    sketch: sketchTask(task, seed),
  }));
}
