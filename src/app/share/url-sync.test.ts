import { describe, expect, it } from 'vitest';
import { encodeShareFragment } from '../../formats/share-link';
import { buildExperiment, createExperimentStore, defaultDraft } from '../stores/experiment-store';
import { DEFAULT_CLASSROOM, describeClassroom, isHidden, isLocked, readClassroom } from './classroom';
import { createShareStore } from './share-store';
import { type ClipboardPort, createUrlSync, fragmentOf, type UrlPort, withFragment } from './url-sync';

function fakeUrl(start = 'http://lab.test/') {
  let href = start;
  const listeners = new Set<() => void>();
  const writes: string[] = [];
  const port: UrlPort = {
    href: () => href,
    replaceFragment(fragment) {
      href = withFragment(href, fragment);
      writes.push(fragment);
    },
    onHashChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    port,
    writes,
    get href() {
      return href;
    },
    /** a navigation to another fragment (the user edits the address, or follows a link) */
    navigate(fragment: string) {
      href = withFragment(href, fragment);
      for (const l of listeners) l();
    },
  };
}

function setup(start?: string, clipboard: ClipboardPort | null = null) {
  const experiment = createExperimentStore();
  const share = createShareStore();
  const url = fakeUrl(start);
  const sync = createUrlSync({
    experiment,
    share,
    url: url.port,
    clipboard,
    fallback: () => buildExperiment(defaultDraft()).experiment,
  });
  return { experiment, share, url, sync };
}

/** An experiment made with the settings controls: sparse parity, two models, seed 7, width 8. */
function chosen() {
  const store = createExperimentStore();
  const s = store.getState();
  s.setTask('sparse-parity');
  s.toggleArch('mambaformer', false);
  s.setSeed(7);
  s.setSize('dModel', 8);
  s.setLearningRate(3e-4);
  const e = store.getState().experiment;
  if (!e) throw new Error(store.getState().errors.join());
  return e;
}

describe('fragment helpers', () => {
  it('read and replace the fragment of a URL', () => {
    expect(fragmentOf('http://a/b?c=1#x=abc&lock=task')).toBe('x=abc&lock=task');
    expect(fragmentOf('http://a/b')).toBe('');
    expect(withFragment('http://a/b?c=1#old', 'x=1')).toBe('http://a/b?c=1#x=1');
    expect(withFragment('http://a/b?c=1#old', '')).toBe('http://a/b?c=1');
  });
});

describe('classroom options', () => {
  it('keep known keys in catalogue order and name the unknown ones', () => {
    const r = readClassroom({ lock: ['seed', 'bogus', 'task'], hide: ['ssm', 'settings', 'nope'] });
    expect(r.classroom).toEqual({ lock: ['task', 'seed'], hide: ['settings', 'ssm'] });
    expect(r.warnings).toEqual([
      'link: ignored unknown locked settings: bogus',
      'link: ignored unknown hidden panels: nope',
    ]);
    expect(isLocked(r.classroom, 'task')).toBe(true);
    expect(isLocked(r.classroom, 'models')).toBe(false);
    expect(isHidden(r.classroom, 'ssm')).toBe(true);
    expect(isHidden(null, 'ssm')).toBe(false);
    expect(describeClassroom(r.classroom)).toBe('2 settings locked, 2 panels hidden');
    expect(describeClassroom({ lock: [], hide: ['runs'] })).toBe('1 panel hidden');
  });
});

describe('URL sync', () => {
  it('a plain visit changes nothing and writes no fragment', () => {
    const { experiment, share, url, sync } = setup();
    const before = experiment.getState().experiment;
    sync.start();
    expect(experiment.getState().experiment).toBe(before);
    expect(share.getState().classroom).toBeNull();
    expect(share.getState().linkWarnings).toBeNull();
    experiment.getState().setSeed(5);
    expect(url.writes).toEqual([]);
  });

  it('opening a link loads exactly the linked experiment (same seed, same stream)', () => {
    const e = chosen();
    const { experiment, share, sync } = setup(`http://lab.test/#${encodeShareFragment(e)}`);
    sync.start();
    expect(experiment.getState().experiment).toEqual(e);
    expect(experiment.getState().draft.task).toBe('sparse-parity');
    expect(experiment.getState().draft.archs).toEqual(['transformer', 'mamba']);
    expect(experiment.getState().draft.seed).toBe(7);
    expect(experiment.getState().draft.sizes.dModel).toBe(8);
    expect(share.getState().linkWarnings).toBeNull();
    expect(share.getState().classroom).toBeNull();
  });

  it('share writes the experiment into the fragment and copies the URL', async () => {
    const copied: string[] = [];
    const { experiment, url, sync, share } = setup('http://lab.test/?backend=cpu', {
      writeText: async (t) => {
        copied.push(t);
      },
    });
    sync.start();
    experiment.getState().setSeed(42);
    const made = await sync.share();
    expect(made?.copied).toBe(true);
    expect(made?.classroom).toBe(false);
    expect(url.href.startsWith('http://lab.test/?backend=cpu#x=')).toBe(true);
    expect(copied).toEqual([url.href]);
    expect(share.getState().lastLink).toEqual(made);
    // the link reproduces the experiment in another page
    const other = setup(url.href);
    other.sync.start();
    expect(other.experiment.getState().experiment).toEqual(experiment.getState().experiment);
  });

  it('a refused clipboard leaves the URL for the page to show', async () => {
    const { sync, url } = setup(undefined, {
      writeText: () => Promise.reject(new DOMException('denied', 'NotAllowedError')),
    });
    sync.start();
    const made = await sync.share();
    expect(made).toEqual({ url: url.href, copied: false, classroom: false });
    const none = setup();
    none.sync.start();
    expect((await none.sync.share())?.copied).toBe(false);
  });

  it('after sharing, the fragment follows the settings', async () => {
    const { experiment, url, sync } = setup();
    sync.start();
    await sync.share();
    experiment.getState().setSeed(99);
    const other = setup(url.href);
    other.sync.start();
    expect(other.experiment.getState().experiment?.seed).toBe(99);
  });

  it('a classroom link carries its locks and hidden panels; the teacher’s page stays unlocked', async () => {
    const { url, sync, share } = setup();
    sync.start();
    const made = await sync.share({ lock: ['task', 'seed'], hide: ['settings', 'attention'] });
    expect(made?.classroom).toBe(true);
    expect(share.getState().classroom).toBeNull();
    expect(fragmentOf(url.href)).toMatch(/&lock=task,seed&hide=settings,attention$/);
    const student = setup(url.href);
    student.sync.start();
    expect(student.share.getState().classroom).toEqual({
      lock: ['task', 'seed'],
      hide: ['settings', 'attention'],
    });
    // sharing from the classroom page keeps its classroom options
    const again = await student.sync.share();
    expect(again?.classroom).toBe(true);
    expect(fragmentOf(student.url.href)).toMatch(/&lock=task,seed&hide=settings,attention$/);
    student.sync.leaveClassroom();
    expect(student.share.getState().classroom).toBeNull();
    expect(fragmentOf(student.url.href)).toMatch(/^x=[A-Za-z0-9_-]+$/);
  });

  it('a truncated link opens the page’s default experiment with a message, and never throws', () => {
    const fragment = encodeShareFragment(chosen(), DEFAULT_CLASSROOM);
    const cut = fragment.slice(0, 20);
    const { experiment, share, sync, url } = setup(`http://lab.test/#${cut}`);
    expect(() => sync.start()).not.toThrow();
    expect(experiment.getState().experiment).toEqual(buildExperiment(defaultDraft()).experiment);
    const warnings = share.getState().linkWarnings ?? [];
    expect(warnings.join(' ')).toMatch(/could not be read/);
    // the address is repaired to what is shown
    const other = setup(url.href);
    other.sync.start();
    expect(other.share.getState().linkWarnings).toBeNull();
    share.getState().dismissLinkWarnings();
    expect(share.getState().linkWarnings).toBeNull();
  });

  it('a hand-edited link with unknown locks is read as far as it goes', () => {
    const fragment = `${encodeShareFragment(chosen())}&lock=task,everything&hide=ssm`;
    const { experiment, share, sync } = setup(`http://lab.test/#${fragment}`);
    sync.start();
    expect(experiment.getState().experiment).toEqual(chosen());
    expect(share.getState().classroom).toEqual({ lock: ['task'], hide: ['ssm'] });
    expect(share.getState().linkWarnings).toEqual(['link: ignored unknown locked settings: everything']);
  });

  it('follows hash changes, and an address without a link unlocks everything', () => {
    const { experiment, share, sync, url } = setup();
    const stop = sync.start();
    url.navigate(encodeShareFragment(chosen(), { lock: ['models'], hide: [] }));
    expect(experiment.getState().experiment?.seed).toBe(7);
    expect(share.getState().classroom?.lock).toEqual(['models']);
    url.navigate('');
    expect(share.getState().classroom).toBeNull();
    experiment.getState().setSeed(3);
    expect(fragmentOf(url.href)).toBe('');
    stop();
    url.navigate(encodeShareFragment(chosen()));
    expect(experiment.getState().experiment?.seed).toBe(3);
  });

  it('share gives nothing while the settings are not a valid experiment', async () => {
    const { experiment, sync, url } = setup();
    sync.start();
    for (const a of experiment.getState().draft.archs) experiment.getState().toggleArch(a, false);
    expect(await sync.share()).toBeNull();
    expect(fragmentOf(url.href)).toBe('');
  });
});

describe('view links in the address', () => {
  it('opens a lesson step or a recording with the link classroom in force, and makes such links', async () => {
    const experiment = createExperimentStore();
    const share = createShareStore();
    const url = fakeUrl('http://lab.test/#lesson=mamba-icl&step=2&lock=task,seed&classroom=1');
    const opened: unknown[] = [];
    const sync = createUrlSync({
      experiment,
      share,
      url: url.port,
      clipboard: null,
      openView: (v) => opened.push(v),
    });
    const before = experiment.getState().experiment;
    sync.start();
    expect(opened).toEqual([{ kind: 'lesson', lesson: 'mamba-icl', step: 1 }]);
    expect(share.getState().classroom?.lock).toEqual(['task', 'seed']);
    // the experiment is left to the view (the recording loads its own)
    expect(experiment.getState().experiment).toBe(before);
    url.navigate('replay=token-mqar.iclreplay');
    expect(opened[1]).toEqual({ kind: 'replay', file: 'token-mqar.iclreplay' });
    expect(share.getState().classroom).toBeNull();
    // a classroom link to a lesson step
    const made = await sync.shareView(
      { kind: 'lesson', lesson: 'mamba-icl', step: 3 },
      { lock: ['task'], hide: [] },
    );
    expect(fragmentOf(made.url)).toBe('lesson=mamba-icl&step=4&lv=1&lock=task');
    expect(made.classroom).toBe(true);
    // the experiment changing (a recording loading) does not turn the view link into an experiment link
    experiment.getState().setSeed(5);
    expect(fragmentOf(url.href)).toBe('lesson=mamba-icl&step=4&lv=1&lock=task');
  });
});

describe('seed notices of links', () => {
  it('says when a link changes the seed, and not when it keeps it', () => {
    const same = setup(
      `http://lab.test/#${encodeShareFragment(buildExperiment(defaultDraft()).experiment!)}`,
    );
    same.sync.start();
    expect(same.share.getState().seedNotice).toBeNull();
    const other = setup(
      `http://lab.test/#${encodeShareFragment({ ...buildExperiment(defaultDraft()).experiment!, seed: 7 })}`,
    );
    other.sync.start();
    expect(other.experiment.getState().draft.seed).toBe(7);
    expect(other.share.getState().seedNotice).toBe('This link uses seed 7; the page had seed 0.');
  });
});
