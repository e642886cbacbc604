// The read-only browser of one source: folders by prefix from its BasePath, a breadcrumb,
// prefix search, lazy paging into a virtualized list (only visible rows are rendered, so
// 100,000 keys scroll as smoothly as 100), and an object panel with the production CDN URL
// and a presigned URL.

import { useCallback, useEffect, useRef, useState } from "react";
import { BackendError, type Backend, type ObjectDetails, type SourceSummary } from "../backend/backend";
import { useI18n } from "../i18n/context";
import { humanSize, visibleRange } from "./rules";

const ROW = 32;

type Row = { kind: "folder"; key: string; label: string } | { kind: "object"; key: string; label: string; size: number };

export function Browser(props: { backend: Backend; source: SourceSummary; onClose: () => void }) {
  const { t } = useI18n();
  const { backend, source } = props;
  const [folder, setFolder] = useState("");
  const [search, setSearch] = useState("");
  const [rows, setRows] = useState<Row[]>([]);
  const [token, setToken] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<ObjectDetails | null>(null);
  const generation = useRef(0);

  const prefix = folder + search;

  const load = useCallback(
    async (from: string | null, gen: number) => {
      setLoading(true);
      try {
        const page = await backend.listObjects(source.name, prefix, from);
        if (gen !== generation.current) return;
        const more: Row[] = [
          ...page.folders.map((f) => ({ kind: "folder" as const, key: f, label: f.slice(folder.length) })),
          ...page.objects.map((o) => ({ kind: "object" as const, key: o.key, label: o.key.slice(folder.length), size: o.size })),
        ];
        setRows((r) => (from === null ? more : [...r, ...more]));
        setToken(page.nextToken);
        setError(null);
      } catch (thrown) {
        if (gen === generation.current) setError(BackendError.from(thrown).message);
      } finally {
        if (gen === generation.current) setLoading(false);
      }
    },
    [backend, source.name, prefix, folder],
  );

  useEffect(() => {
    generation.current += 1;
    setRows([]);
    setToken(null);
    const gen = generation.current;
    const timer = setTimeout(() => void load(null, gen), search ? 250 : 0);
    return () => clearTimeout(timer);
  }, [load, search]);

  const open = async (row: Row) => {
    if (row.kind === "folder") {
      setFolder(row.key);
      setSearch("");
      setSelected(null);
      return;
    }
    try {
      setSelected(await backend.objectDetails(source.name, row.key));
    } catch (thrown) {
      setError(BackendError.from(thrown).message);
    }
  };

  const crumbs = folder.split("/").filter(Boolean);
  return (
    <section className="page browser" data-testid="browser">
      <p>
        <button type="button" className="button-quiet" onClick={props.onClose}>
          ← {t("browser.back")}
        </button>
      </p>
      <h1>{t("browser.title", { name: source.name })}</h1>
      <nav className="breadcrumb" data-testid="browser-breadcrumb">
        <button type="button" className="button-quiet" onClick={() => { setFolder(""); setSearch(""); }}>
          {source.bucket}
          {source.basePath === "/" ? "" : source.basePath}
        </button>
        {crumbs.map((c, i) => (
          <span key={i}>
            {" / "}
            <button type="button" className="button-quiet" onClick={() => { setFolder(`${crumbs.slice(0, i + 1).join("/")}/`); setSearch(""); }}>
              {c}
            </button>
          </span>
        ))}
      </nav>
      <input className="search" data-testid="browser-search" placeholder={t("browser.search")} value={search} onChange={(e) => setSearch(e.target.value)} />
      {error && <p className="field-problem" role="alert">{error}</p>}
      <div className="browser-body">
        <VirtualRows
          rows={rows}
          onOpen={(r) => void open(r)}
          selectedKey={selected?.key ?? null}
          onNearEnd={() => {
            if (token && !loading) void load(token, generation.current);
          }}
        />
        {selected && <ObjectPanel backend={backend} source={source} details={selected} />}
      </div>
      <p className="muted">
        {loading ? (rows.length ? t("browser.more") : t("browser.loading")) : rows.length ? t("browser.count", { count: rows.length }) : t("browser.empty")}
      </p>
    </section>
  );
}

function VirtualRows(props: { rows: Row[]; selectedKey: string | null; onOpen: (row: Row) => void; onNearEnd: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const height = 480;
  const { start, end } = visibleRange(scrollTop, height, ROW, props.rows.length);
  const { onNearEnd, rows } = props;
  useEffect(() => {
    if (end >= rows.length - 20) onNearEnd();
  }, [end, rows.length, onNearEnd]);
  return (
    <div ref={ref} className="virtual" style={{ height, overflowY: "auto" }} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
      <div style={{ height: rows.length * ROW, position: "relative" }}>
        {rows.slice(start, end).map((row, i) => (
          <div
            key={row.kind + row.key}
            role="button"
            tabIndex={0}
            className={`vrow ${row.kind}${row.key === props.selectedKey ? " selected" : ""}`}
            data-testid="browser-row"
            data-key={row.key}
            data-kind={row.kind}
            style={{ position: "absolute", top: (start + i) * ROW, height: ROW, left: 0, right: 0 }}
            onClick={() => props.onOpen(row)}
            onKeyDown={(e) => e.key === "Enter" && props.onOpen(row)}
          >
            <span>{row.kind === "folder" ? "📁 " : ""}{row.label}</span>
            {row.kind === "object" && <span className="muted">{humanSize(row.size)}</span>}
          </div>
        ))}
      </div>
    </div>
  );
}

function ObjectPanel({ backend, source, details }: { backend: Backend; source: SourceSummary; details: ObjectDetails }) {
  const { t } = useI18n();
  const [expiry, setExpiry] = useState(3600);
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setUrl(null), [details.key]);
  const generate = async () => {
    try {
      setUrl(await backend.presignGet(source.name, details.key, expiry));
      setError(null);
    } catch (thrown) {
      setError(BackendError.from(thrown).message);
    }
  };
  const copy = (text: string) => void navigator.clipboard?.writeText(text);
  return (
    <aside className="object-panel card" data-testid="object-panel">
      <h2>{details.key.split("/").pop()}</h2>
      <dl>
        <dt>{t("browser.size")}</dt>
        <dd>{humanSize(details.size)}</dd>
        <dt>{t("browser.type")}</dt>
        <dd>{details.contentType ?? "—"}</dd>
        <dt>{t("browser.modified")}</dt>
        <dd>{details.lastModified ?? "—"}</dd>
        <dt>{t("browser.etag")}</dt>
        <dd><code>{details.etag ?? "—"}</code></dd>
        <dt>{t("browser.storageClass")}</dt>
        <dd>{details.storageClass ?? "STANDARD"}</dd>
      </dl>
      <p className="muted">{t("browser.cdnUrl")}</p>
      <p className="url">
        <code data-testid="object-cdn-url">{details.cdnUrl}</code>{" "}
        <button type="button" className="button-quiet" onClick={() => copy(details.cdnUrl)}>{t("common.copy")}</button>
      </p>
      <p className="muted">{t("browser.presign")}</p>
      <p>
        <label>
          {t("browser.expiry")}{" "}
          <select data-testid="presign-expiry" value={expiry} onChange={(e) => setExpiry(Number(e.target.value))}>
            <option value={3600}>{t("browser.expiry.hour")}</option>
            <option value={86400}>{t("browser.expiry.day")}</option>
            <option value={604800}>{t("browser.expiry.week")}</option>
          </select>
        </label>{" "}
        <button type="button" className="button-primary" data-testid="presign-generate" onClick={() => void generate()}>
          {t("browser.generate")}
        </button>
      </p>
      {url && (
        <p className="url">
          <code data-testid="presign-url">{url}</code>{" "}
          <button type="button" className="button-quiet" onClick={() => copy(url)}>{t("common.copy")}</button>
        </p>
      )}
      {error && <p className="field-problem" role="alert">{error}</p>}
    </aside>
  );
}
