// The read-only browser of one source: folders by prefix from its BasePath, a breadcrumb,
// prefix search, lazy paging into a virtualized list (only visible rows are rendered, so
// 100,000 keys scroll as smoothly as 100) or a grid of thumbnail tiles (also virtualized, by
// rows of tiles), thumbnails from the local CDN, an object panel
// with the production CDN URL and a presigned URL, and the CDN preview of a selected image.
// Transfers (ui/src/transfer/): upload into the current folder (button or drop), download
// and delete of the rows ticked in the list (or the open object).

import { FileIcon, FolderIcon, GridIcon, ListIcon } from "../app/icons";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { BackendError, type Backend, type ObjectDetails, type SourceSummary } from "../backend/backend";
import { useI18n } from "../i18n/context";
import { humanSize } from "./rules";
import { VirtualList } from "./VirtualList";
import { CopyButton } from "./Wizard";
import { CdnPreview } from "./CdnPreview";
import { isImage, thumbnailUrl, type CdnEndpoint } from "./cdnPreview";
import { TransferBar, type Selection } from "../transfer/TransferBar";

const ROW = 32;
const VIEW = 480;
/** The grid: tiles per row and a row's height (a 160 px thumbnail and its name). */
const GRID_COLUMNS = 5;
const TILE_ROW = 196;

type Row = { kind: "folder"; key: string; label: string } | { kind: "object"; key: string; label: string; size: number };

/** What has been listed of one prefix so far: folders stay first however the pages interleave. */
type Listing = { folders: Row[]; objects: Row[]; token: string | null };
const EMPTY: Listing = { folders: [], objects: [], token: null };

export function Browser(props: { backend: Backend; source: SourceSummary; onClose: () => void }) {
  const { t } = useI18n();
  const { backend, source } = props;
  const [folder, setFolder] = useState("");
  const [search, setSearch] = useState("");
  const [listing, setListing] = useState<Listing>(EMPTY);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<ObjectDetails | null>(null);
  const [opening, setOpening] = useState<string | null>(null);
  const [cdn, setCdn] = useState<CdnEndpoint | null>(null);
  const [view, setView] = useState<"list" | "grid">("list");
  /** Rows ticked for a download or a delete (folders end with `/`). */
  const [ticked, setTicked] = useState<Set<string>>(new Set());
  const [reloads, setReloads] = useState(0);
  const generation = useRef(0);
  const inFlight = useRef(false);
  const wanted = useRef<string | null>(null);

  const prefix = folder + search;

  /** Loads pages from `from` until one adds rows or there are no more. */
  const load = useCallback(
    async (from: string | null, gen: number) => {
      if (inFlight.current && from !== null) return;
      inFlight.current = true;
      setLoading(true);
      try {
        let token = from;
        for (;;) {
          const page = await backend.listObjects(source.name, prefix, token);
          if (gen !== generation.current) return;
          const folders: Row[] = page.folders.map((f) => ({ kind: "folder", key: f, label: f.slice(folder.length) }));
          const objects: Row[] = page.objects.map((o) => ({ kind: "object", key: o.key, label: o.key.slice(folder.length), size: o.size }));
          // The updater runs later: it must not read `token`, which moves on below.
          const first = token === null;
          setListing((l) => ({
            folders: first ? folders : [...l.folders, ...folders],
            objects: first ? objects : [...l.objects, ...objects],
            token: page.nextToken,
          }));
          token = page.nextToken;
          if (folders.length + objects.length > 0 || token === null) break;
        }
        setError(null);
      } catch (thrown) {
        if (gen === generation.current) setError(BackendError.from(thrown).message);
      } finally {
        if (gen === generation.current) {
          inFlight.current = false;
          setLoading(false);
        }
      }
    },
    [backend, source.name, prefix, folder],
  );

  useEffect(() => {
    generation.current += 1;
    inFlight.current = false;
    setListing(EMPTY);
    const gen = generation.current;
    const timer = setTimeout(() => void load(null, gen), search ? 250 : 0);
    return () => clearTimeout(timer);
  }, [load, search, reloads]);

  const selection = useMemo<Selection>(() => {
    const chosen = [...ticked];
    const keys = chosen.filter((k) => !k.endsWith("/"));
    if (chosen.length === 0 && selected) keys.push(selected.key);
    return { keys, prefixes: chosen.filter((k) => k.endsWith("/")) };
  }, [ticked, selected]);
  const toggle = (key: string) =>
    setTicked((t) => {
      const next = new Set(t);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });
  const changed = () => {
    setTicked(new Set());
    setSelected(null);
    setReloads((n) => n + 1);
  };

  // Thumbnails come from the local CDN; without it the list simply has none.
  useEffect(() => {
    backend.cdnEndpoint().then(setCdn, () => setCdn(null));
  }, [backend]);

  const rows = useMemo(() => [...listing.folders, ...listing.objects], [listing]);
  /** The grid's rows of tiles: still one virtualized list, so 100,000 keys cost a screenful. */
  const tileRows = useMemo(() => {
    const out: Row[][] = [];
    for (let i = 0; i < rows.length; i += GRID_COLUMNS) out.push(rows.slice(i, i + GRID_COLUMNS));
    return out;
  }, [rows]);
  const nearEnd = () => {
    if (listing.token && !loading && !error) void load(listing.token, generation.current);
  };
  const rowClass = (row: Row, base: string) =>
    `${base} ${row.kind}${row.key === selected?.key ? " selected" : ""}${row.key === opening ? " opening" : ""}`;

  const goTo = (next: string) => {
    wanted.current = null;
    setOpening(null);
    setFolder(next);
    setSearch("");
    setSelected(null);
    setTicked(new Set());
  };

  const open = async (row: Row) => {
    if (row.kind === "folder") return goTo(row.key);
    // The last row clicked wins, whatever order the details arrive in.
    wanted.current = row.key;
    setOpening(row.key);
    try {
      const details = await backend.objectDetails(source.name, row.key);
      if (wanted.current === row.key) setSelected(details);
    } catch (thrown) {
      if (wanted.current === row.key) setError(BackendError.from(thrown).message);
    } finally {
      if (wanted.current === row.key) setOpening(null);
    }
  };

  const crumbs = folder.split("/").filter(Boolean);
  const status = loading
    ? rows.length
      ? t("browser.more")
      : t("browser.loading")
    : rows.length
      ? listing.token
        ? t("browser.countMore", { count: rows.length })
        : t("browser.count", { count: rows.length })
      : t("browser.empty");
  return (
    <section className="page browser" data-testid="browser">
      <p>
        <button type="button" className="button-quiet" onClick={props.onClose}>
          ← {t("browser.back")}
        </button>
      </p>
      <h1>{t("browser.title", { name: source.name })}</h1>
      <nav className="breadcrumb" data-testid="browser-breadcrumb" aria-label={t("browser.path")}>
        <button type="button" className="button-quiet" onClick={() => goTo("")}>
          {source.bucket}
          {source.basePath === "/" ? "" : source.basePath}
        </button>
        {crumbs.map((c, i) => (
          <span key={i}>
            {" / "}
            <button type="button" className="button-quiet" onClick={() => goTo(`${crumbs.slice(0, i + 1).join("/")}/`)}>
              {c}
            </button>
          </span>
        ))}
      </nav>
      <input
        className="search"
        data-testid="browser-search"
        placeholder={t("browser.search")}
        aria-label={t("browser.search")}
        value={search}
        spellCheck={false}
        onChange={(e) => setSearch(e.target.value)}
      />
      <span className="view-toggle" role="group" aria-label={t("browser.view")}>
        <button type="button" className="button-quiet" data-testid="browser-view-list" aria-pressed={view === "list"} title={t("browser.view.list")} aria-label={t("browser.view.list")} onClick={() => setView("list")}>
          <ListIcon />
        </button>
        <button type="button" className="button-quiet" data-testid="browser-view-grid" aria-pressed={view === "grid"} title={t("browser.view.grid")} aria-label={t("browser.view.grid")} onClick={() => setView("grid")}>
          <GridIcon />
        </button>
      </span>
      {error && (
        <p className="field-problem" role="alert">
          {error}{" "}
          <button type="button" className="button-quiet" onClick={() => void load(listing.token, generation.current)}>
            {t("sources.retry")}
          </button>
        </p>
      )}
      <TransferBar backend={backend} source={source} prefix={folder} selection={selection} onChanged={changed} />
      <div className="browser-body">
        {view === "list" ? (
          <VirtualList
            key={prefix}
            className="virtual"
            testId="browser-list"
            items={rows}
            rowHeight={ROW}
            height={VIEW}
            itemKey={(row) => row.kind + row.key}
            onNearEnd={nearEnd}
            renderRow={(row, _index, style) => (
              <div
                role="button"
                tabIndex={0}
                className={rowClass(row, "vrow")}
                data-testid="browser-row"
                data-key={row.key}
                data-kind={row.kind}
                title={row.key}
                style={style}
                onClick={() => void open(row)}
                onKeyDown={(e) => e.key === "Enter" && void open(row)}
              >
                <TickBox className="row-check" testId="browser-row-check" row={row} ticked={ticked} onToggle={toggle} />
                {row.kind === "object" && cdn && isImage(row.key) && (
                  <img className="thumb" src={thumbnailUrl(cdn, source.name, row.key)} alt="" loading="lazy" width={24} height={24} />
                )}
                {row.kind === "folder" ? <FolderIcon /> : !(cdn && isImage(row.key)) && <FileIcon />}
                <span className="vrow-name">{row.label}</span>
                {row.kind === "object" && <span className="muted">{humanSize(row.size)}</span>}
              </div>
            )}
          />
        ) : (
          <VirtualList
            key={`grid:${prefix}`}
            className="virtual grid"
            testId="browser-grid"
            items={tileRows}
            rowHeight={TILE_ROW}
            height={VIEW}
            itemKey={(tiles) => tiles[0]!.kind + tiles[0]!.key}
            onNearEnd={nearEnd}
            nearEnd={4}
            overscan={2}
            renderRow={(tiles, _index, style) => (
              <div className="grid-row" style={style}>
                {tiles.map((row) => (
                  <div
                    key={row.kind + row.key}
                    role="button"
                    tabIndex={0}
                    className={rowClass(row, "tile")}
                    data-testid="browser-tile"
                    data-key={row.key}
                    data-kind={row.kind}
                    title={row.key}
                    onClick={() => void open(row)}
                    onKeyDown={(e) => e.key === "Enter" && void open(row)}
                  >
                    <TickBox className="tile-check" testId="browser-tile-check" row={row} ticked={ticked} onToggle={toggle} />
                    <div className="tile-image">
                      {row.kind === "object" && cdn && isImage(row.key) ? (
                        <img src={thumbnailUrl(cdn, source.name, row.key, "tile")} alt="" loading="lazy" width={160} height={160} />
                      ) : row.kind === "folder" ? (
                        <FolderIcon className="tile-icon" />
                      ) : (
                        <FileIcon className="tile-icon" />
                      )}
                    </div>
                    <span className="tile-name">{row.label}</span>
                  </div>
                ))}
              </div>
            )}
          />
        )}
        {selected && <ObjectPanel backend={backend} source={source} details={selected} />}
      </div>
      {selected && isImage(selected.key, selected.contentType) && (
        <CdnPreview key={selected.key} backend={backend} source={source.name} relativeKey={selected.key} />
      )}
      <p className="muted" data-testid="browser-status">
        {status}
      </p>
    </section>
  );
}

function ObjectPanel({ backend, source, details }: { backend: Backend; source: SourceSummary; details: ObjectDetails }) {
  const { t, language } = useI18n();
  const [expiry, setExpiry] = useState(3600);
  const [url, setUrl] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setUrl(null);
    setError(null);
  }, [details.key]);
  const generate = async () => {
    setBusy(true);
    try {
      setUrl(await backend.presignGet(source.name, details.key, expiry));
      setError(null);
    } catch (thrown) {
      setError(BackendError.from(thrown).message);
    } finally {
      setBusy(false);
    }
  };
  const modified = details.lastModified ? new Date(details.lastModified) : null;
  return (
    <aside className="object-panel card" data-testid="object-panel">
      <h2>{details.key.split("/").pop()}</h2>
      <p className="muted">
        <code>{details.key}</code>
      </p>
      <dl>
        <dt>{t("browser.size")}</dt>
        <dd title={`${details.size.toLocaleString(language)} B`}>{humanSize(details.size)}</dd>
        <dt>{t("browser.type")}</dt>
        <dd>{details.contentType ?? "—"}</dd>
        <dt>{t("browser.modified")}</dt>
        <dd title={details.lastModified ?? undefined}>
          {modified && !Number.isNaN(modified.getTime())
            ? modified.toLocaleString(language, { dateStyle: "medium", timeStyle: "short" })
            : "—"}
        </dd>
        <dt>{t("browser.etag")}</dt>
        <dd>
          <code>{details.etag ?? "—"}</code>
        </dd>
        <dt>{t("browser.storageClass")}</dt>
        <dd>{details.storageClass ?? "STANDARD"}</dd>
        {details.metadata.map(([name, value]) => (
          <MetadataLine key={name} name={name} value={value} />
        ))}
      </dl>
      <p className="muted">{t("browser.cdnUrl")}</p>
      <p className="url">
        <code data-testid="object-cdn-url">{details.cdnUrl}</code>{" "}
        <CopyButton text={details.cdnUrl} />
      </p>
      <p className="muted">{t("browser.presign")}</p>
      <p>
        <label>
          {t("browser.expiry")}{" "}
          <select data-testid="presign-expiry" value={expiry} onChange={(e) => { setExpiry(Number(e.target.value)); setUrl(null); }}>
            <option value={3600}>{t("browser.expiry.hour")}</option>
            <option value={86400}>{t("browser.expiry.day")}</option>
            <option value={604800}>{t("browser.expiry.week")}</option>
          </select>
        </label>{" "}
        <button type="button" className="button-primary" data-testid="presign-generate" disabled={busy} onClick={() => void generate()}>
          {t("browser.generate")}
        </button>
      </p>
      {url && (
        <p className="url">
          <code data-testid="presign-url">{url}</code>{" "}
          <CopyButton text={url} />
        </p>
      )}
      {error && <p className="field-problem" role="alert">{error}</p>}
    </aside>
  );
}

/** A row's or a tile's tick for downloads and deletes; it never opens what it sits on. */
function TickBox(props: { className: string; testId: string; row: Row; ticked: Set<string>; onToggle: (key: string) => void }) {
  const { t } = useI18n();
  const { row } = props;
  return (
    <input
      type="checkbox"
      className={props.className}
      data-testid={props.testId}
      aria-label={t("transfer.tick", { name: row.label })}
      checked={props.ticked.has(row.key)}
      onClick={(e) => e.stopPropagation()}
      onKeyDown={(e) => e.stopPropagation()}
      onChange={() => props.onToggle(row.key)}
    />
  );
}

function MetadataLine({ name, value }: { name: string; value: string }) {
  return (
    <>
      <dt>
        <code>{name}</code>
      </dt>
      <dd>{value}</dd>
    </>
  );
}
