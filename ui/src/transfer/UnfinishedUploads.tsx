// The bucket's unfinished multipart uploads: parts S3 keeps, and bills, until the upload is
// completed or aborted. Age, part bytes and the estimated monthly cost are the core's (at
// S3 Standard prices); abort the selected ones or all, each confirmed gone by the core.

import { useCallback, useEffect, useState } from "react";
import {
  BackendError,
  type AbortReport,
  type Backend,
  type SourceSummary,
  type UnfinishedUploads as Listing,
  type WriterChoice,
} from "../backend/backend";
import { useI18n } from "../i18n/context";
import { humanSize } from "../sources/rules";

function usd(amount: number): string {
  return `$${amount < 0.01 && amount > 0 ? amount.toFixed(4) : amount.toFixed(2)}`;
}

export function UnfinishedUploads(props: {
  backend: Backend;
  source: SourceSummary;
  writer: WriterChoice;
  onClose: () => void;
  onChanged: () => void;
}) {
  const { t, language } = useI18n();
  const { backend, source, writer } = props;
  const [listing, setListing] = useState<Listing | null>(null);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [report, setReport] = useState<AbortReport | null>(null);

  const load = useCallback(async () => {
    try {
      setListing(await backend.listUnfinishedUploads(source.name, writer));
      setError(null);
    } catch (thrown) {
      setError(BackendError.from(thrown).message);
    }
  }, [backend, source.name, writer]);

  useEffect(() => {
    void load();
  }, [load]);

  const abort = async (all: boolean) => {
    if (!listing) return;
    const uploads = all ? listing.uploads : listing.uploads.filter((u) => chosen.has(u.uploadId));
    setBusy(true);
    try {
      setReport(await backend.abortUnfinishedUploads(source.name, uploads, writer));
      setChosen(new Set());
      await load();
      props.onChanged();
    } catch (thrown) {
      setError(BackendError.from(thrown).message);
    } finally {
      setBusy(false);
    }
  };

  const toggle = (id: string) =>
    setChosen((c) => {
      const next = new Set(c);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <section className="panel unfinished" data-testid="unfinished-uploads">
      <h2>{t("transfer.unfinished.title", { bucket: source.bucket })}</h2>
      {error && (
        <p className="field-problem" role="alert">
          {error}
        </p>
      )}
      {listing === null && !error && <p className="muted">{t("browser.loading")}</p>}
      {listing && listing.uploads.length === 0 && <p data-testid="unfinished-none">{t("transfer.unfinished.none")}</p>}
      {listing && listing.uploads.length > 0 && (
        <>
          <p data-testid="unfinished-total">
            {t("transfer.unfinished.total", {
              count: listing.uploads.length,
              size: humanSize(listing.bytes),
              cost: usd(listing.monthlyCostUsd),
              price: usd(listing.usdPerGbMonth),
            })}
          </p>
          <table className="table" data-testid="unfinished-table">
            <thead>
              <tr>
                <th>
                  <span className="visually-hidden">{t("transfer.unfinished.choose")}</span>
                </th>
                <th>{t("transfer.preview.key")}</th>
                <th>{t("transfer.unfinished.age")}</th>
                <th>{t("transfer.unfinished.parts")}</th>
                <th>{t("browser.size")}</th>
                <th>{t("transfer.unfinished.cost")}</th>
              </tr>
            </thead>
            <tbody>
              {listing.uploads.map((u) => (
                <tr key={u.uploadId} data-testid="unfinished-row" data-key={u.key}>
                  <td>
                    <input
                      type="checkbox"
                      data-testid="unfinished-choose"
                      aria-label={t("transfer.unfinished.chooseOne", { key: u.key })}
                      checked={chosen.has(u.uploadId)}
                      onChange={() => toggle(u.uploadId)}
                    />
                  </td>
                  <td>
                    <code>{u.key}</code>
                  </td>
                  <td className="nowrap" title={u.initiated ?? undefined}>
                    {t("transfer.unfinished.days", { days: u.ageDays.toLocaleString(language, { maximumFractionDigits: 1 }) })}
                  </td>
                  <td>{u.parts}</td>
                  <td className="nowrap">{humanSize(u.bytes)}</td>
                  <td className="nowrap">{usd(u.monthlyCostUsd)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {report && (
        <div data-testid="unfinished-report">
          <p>{t("transfer.unfinished.aborted", { count: report.aborted.length })}</p>
          {report.failed.length > 0 && (
            <ul className="failed-keys">
              {report.failed.map((f) => (
                <li key={f.uploadId} className="field-problem">
                  <code>{f.key}</code>: {f.error.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <div className="transfer-actions">
        <button type="button" className="button-quiet" data-testid="unfinished-close" onClick={props.onClose}>
          {t("transfer.close")}
        </button>
        <button
          type="button"
          className="button-quiet danger"
          data-testid="unfinished-abort-selected"
          disabled={busy || chosen.size === 0}
          onClick={() => void abort(false)}
        >
          {t("transfer.unfinished.abortSelected", { count: chosen.size })}
        </button>
        <button
          type="button"
          className="button-primary"
          data-testid="unfinished-abort-all"
          disabled={busy || !listing || listing.uploads.length === 0}
          onClick={() => void abort(true)}
        >
          {t("transfer.unfinished.abortAll")}
        </button>
      </div>
    </section>
  );
}
