// Sources (home): the configured sources as the core lists them. Adding one arrives with
// the setup wizard; until then the page says so instead of offering a button that does nothing.

import { useCallback, useEffect, useId, useState } from "react";
import type { Backend, SourceSummary } from "../backend/backend";
import { useI18n } from "../i18n/context";
import { useReportError } from "../app/toasts";

type Listing = { state: "loading" } | { state: "loaded"; sources: SourceSummary[] } | { state: "failed" };

export function SourcesPage({ backend }: { backend: Backend }) {
  const { t } = useI18n();
  const report = useReportError();
  const id = useId();
  const [listing, setListing] = useState<Listing>({ state: "loading" });

  const load = useCallback(async (isCurrent: () => boolean) => {
    setListing({ state: "loading" });
    try {
      const sources = await backend.listSources();
      if (isCurrent()) setListing({ state: "loaded", sources });
    } catch (thrown) {
      if (!isCurrent()) return;
      setListing({ state: "failed" });
      report(thrown);
    }
  }, [backend, report]);

  useEffect(() => {
    let current = true;
    void load(() => current);
    return () => {
      current = false;
    };
  }, [load]);

  return (
    <section className="page" data-testid="page-sources" aria-labelledby={id}>
      <h1 id={id}>{t("sources.title")}</h1>
      {listing.state === "loading" && <p className="muted">{t("sources.loading")}</p>}
      {listing.state === "failed" && (
        <p className="muted">
          {t("sources.loadFailed")}{" "}
          <button type="button" className="button-quiet" onClick={() => void load(() => true)}>
            {t("sources.retry")}
          </button>
        </p>
      )}
      {listing.state === "loaded" && <SourceTable sources={listing.sources} />}
      <p className="muted note" data-testid="sources-add-note">
        {t("sources.addComing")}
      </p>
    </section>
  );
}

function SourceTable({ sources }: { sources: SourceSummary[] }) {
  const { t } = useI18n();
  if (sources.length === 0) {
    return (
      <p className="empty" data-testid="sources-empty">
        {t("sources.empty")}
      </p>
    );
  }
  return (
    <table className="table" data-testid="sources-table">
      <thead>
        <tr>
          <th scope="col">{t("sources.column.name")}</th>
          <th scope="col">{t("sources.column.bucket")}</th>
          <th scope="col">{t("sources.column.region")}</th>
          <th scope="col">{t("sources.column.basePath")}</th>
          <th scope="col">{t("sources.column.keyId")}</th>
        </tr>
      </thead>
      <tbody>
        {sources.map((source) => (
          <tr key={source.name} data-testid="source-row">
            <td className="strong">{source.name}</td>
            <td>{source.bucket}</td>
            <td>{source.region}</td>
            <td>
              <code>{source.basePath}</code>
            </td>
            <td>
              <code>{source.keyIdMasked}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
