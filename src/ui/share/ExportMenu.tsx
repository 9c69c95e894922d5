import { type KeyboardEvent, useEffect, useId, useRef, useState } from 'react';
import { experimentStore } from '../../app';
import type { ExportFile } from '../../app/share/exports';
import { exporter } from '../../app/share/share';
import { exportFileName, slug } from '../../formats/export/filenames';
import { type ZipEntry, zipFiles } from '../../formats/export/zip';
import { type ChartTarget, chartFile, download, findCharts } from './chart-dom';

interface MenuItem {
  key: string;
  label: string;
  run(): Promise<string>;
}

interface MenuGroup {
  name: string;
  items: MenuItem[];
}

const save = (file: ExportFile | null): string => {
  if (!file) throw new Error('the settings are not a valid experiment');
  download(file.name, file.data, file.type);
  return file.name;
};

const bytesOf = async (blob: Blob) => new Uint8Array(await blob.arrayBuffer());

/** Each chart shown as files for a zip: recharts and small plots as SVG, heatmaps as PNG. */
async function chartEntries(charts: readonly ChartTarget[], folder: string): Promise<ZipEntry[]> {
  const out: ZipEntry[] = [];
  for (const c of charts) {
    const format = c.kind === 'svg' ? 'svg' : 'png';
    out.push({
      name: `${folder}/${slug(c.title)}.${format}`,
      data: await bytesOf(await chartFile(c, format)),
    });
  }
  return out;
}

/** Everything, or some of it, as one .zip download. */
async function saveZip(name: string, entries: () => Promise<ZipEntry[]>): Promise<string> {
  const files = await entries();
  if (files.length === 0) throw new Error('nothing to export yet');
  download(name, zipFiles(files), 'application/zip');
  return name;
}

const dataEntries = (): ZipEntry[] =>
  [exporter.curves('csv'), exporter.curves('json'), exporter.summary()].flatMap((f) =>
    f ? [{ name: f.name, data: f.data }] : [],
  );

async function checkpointEntries(): Promise<ZipEntry[]> {
  const out: ZipEntry[] = [];
  for (const t of exporter.checkpointTargets()) {
    const r = await exporter.checkpoint(t.slot);
    if (!r.ok) throw new Error(r.error);
    out.push({ name: `checkpoints/${r.file.name}`, data: r.file.data });
  }
  return out;
}

/**
 * What can be exported now, most wanted first: everything as one .zip, the data (curves, summary),
 * the checkpoints, the line charts, then the maps (all of them as one .zip, then one by one).
 */
function menuGroups(): MenuGroup[] {
  const e = experimentStore.getState().experiment;
  const stem = e ? [e.task.name, `seed-${e.seed}`] : ['chart'];
  const found = findCharts();
  const isMap = (c: ChartTarget) => c.region === 'Attention' || c.region === 'SSM state';
  const chartItems = (list: ChartTarget[]): MenuItem[] =>
    list.flatMap((c) =>
      (c.kind === 'svg' ? (['svg', 'png'] as const) : (['png'] as const)).map((format) => ({
        key: `${c.id}:${format}`,
        label: `${c.title} (${format.toUpperCase()})`,
        async run() {
          const name = exportFileName([...stem, c.title], format);
          download(name, await chartFile(c, format));
          return name;
        },
      })),
    );
  const maps = found.filter(isMap);
  const targets = exporter.checkpointTargets();
  const everything: MenuItem = {
    key: 'zip:all',
    label: 'Everything (.zip: data, model weights, charts)',
    run: () =>
      saveZip(exportFileName([...stem, 'all'], 'zip'), async () => [
        ...dataEntries(),
        ...(await checkpointEntries()),
        ...(await chartEntries(found, 'charts')),
      ]),
  };
  const data: MenuItem[] = [
    { key: 'csv', label: 'All curves (CSV)', run: async () => save(exporter.curves('csv')) },
    { key: 'json', label: 'All curves (JSON)', run: async () => save(exporter.curves('json')) },
    { key: 'summary', label: 'Run summary (Markdown)', run: async () => save(exporter.summary()) },
  ];
  const checkpoints: MenuItem[] = targets.flatMap((t) => [
    {
      key: `checkpoint:${t.slot}`,
      label: `${t.title} checkpoint, step ${t.step} (safetensors)`,
      async run() {
        const r = await exporter.checkpoint(t.slot);
        if (!r.ok) throw new Error(r.error);
        return save(r.file);
      },
    },
    {
      // the authors' training config beside the weights (docs/CHECKPOINTS.md)
      key: `pytorch:${t.slot}`,
      label: `${t.title}: Continue in PyTorch (YAML config)`,
      async run() {
        const r = exporter.pytorchConfig(t.slot);
        if (!r.ok) throw new Error(r.error);
        return save(r.file);
      },
    },
  ]);
  if (targets.length > 1)
    checkpoints.push({
      key: 'zip:checkpoints',
      label: `All ${targets.length} checkpoints (.zip)`,
      run: () => saveZip(exportFileName([...stem, 'checkpoints'], 'zip'), checkpointEntries),
    });
  const mapItems = chartItems(maps);
  if (maps.length > 1)
    mapItems.unshift({
      key: 'zip:maps',
      label: `All ${maps.length} maps (.zip)`,
      run: () => saveZip(exportFileName([...stem, 'maps'], 'zip'), () => chartEntries(maps, 'maps')),
    });
  return [
    { name: 'All', items: [everything] },
    { name: 'Data', items: data },
    { name: 'Checkpoints', items: checkpoints },
    { name: 'Charts', items: chartItems(found.filter((c) => !isMap(c))) },
    ...(maps.length > 0 ? [{ name: 'Maps', items: mapItems }] : []),
  ];
}

type Outcome = { ok: true; text: string } | { ok: false; text: string } | null;

/** The "Export" button and its menu (arrow keys move, Escape closes). */
export function ExportMenu() {
  const id = useId();
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const [groups, setGroups] = useState<MenuGroup[] | null>(null);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const open = groups !== null;

  const close = (focusButton: boolean) => {
    setGroups(null);
    if (focusButton) button.current?.focus();
  };

  useEffect(() => {
    if (!open) return;
    menu.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
    const outside = (e: PointerEvent) => {
      const t = e.target as Node;
      if (!menu.current?.contains(t) && !button.current?.contains(t)) setGroups(null);
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, [open]);

  const run = async (item: MenuItem) => {
    close(true);
    setOutcome({ ok: true, text: `Preparing ${item.label}…` });
    try {
      setOutcome({ ok: true, text: `Saved ${await item.run()}` });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      setOutcome({ ok: false, text: `Could not export ${item.label}: ${why}` });
    }
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const items = Array.from(menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? []);
    const i = items.indexOf(document.activeElement as HTMLElement);
    const focus = (j: number) => items[(j + items.length) % items.length]?.focus();
    if (e.key === 'ArrowDown') focus(i + 1);
    else if (e.key === 'ArrowUp') focus(i - 1);
    else if (e.key === 'Home') focus(0);
    else if (e.key === 'End') focus(items.length - 1);
    else if (e.key === 'Escape') close(true);
    else if (e.key === 'Tab') close(false);
    else return;
    if (e.key !== 'Tab') e.preventDefault();
  };

  return (
    <div className="export-menu">
      <button
        ref={button}
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? `${id}-menu` : undefined}
        onClick={() => (open ? close(false) : setGroups(menuGroups()))}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' && !open) {
            e.preventDefault();
            setGroups(menuGroups());
          }
        }}
      >
        Export
      </button>
      {open && (
        <div
          className="menu"
          role="menu"
          id={`${id}-menu`}
          aria-label="Export"
          ref={menu}
          onKeyDown={onKeyDown}
        >
          {groups.map((g) => (
            <div className="menu-group" key={g.name}>
              <div className="menu-heading" aria-hidden="true">
                {g.name}
              </div>
              {g.items.length === 0 ? (
                <div className="menu-empty" role="presentation">
                  {g.name === 'Checkpoints'
                    ? 'Appear once the models are built (Train or Step).'
                    : 'None shown yet.'}
                </div>
              ) : (
                g.items.map((item) => (
                  <button
                    key={item.key}
                    type="button"
                    role="menuitem"
                    tabIndex={-1}
                    onClick={() => void run(item)}
                  >
                    {item.label}
                  </button>
                ))
              )}
            </div>
          ))}
        </div>
      )}
      {outcome &&
        (outcome.ok ? (
          <p className="export-outcome" role="status">
            {outcome.text}
          </p>
        ) : (
          <div className="alert export-outcome" role="alert">
            <p>{outcome.text}</p>
            <button type="button" className="quiet" onClick={() => setOutcome(null)} aria-label="Dismiss">
              ×
            </button>
          </div>
        ))}
    </div>
  );
}
