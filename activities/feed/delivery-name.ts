/**
 * Pure: recognises a delivery manifest by its file name and derives the delivery id from it.
 * Daily feeds name the manifest `<rsid>_<YYYY-MM-DD>.txt`, hourly feeds `<rsid>_<YYYYmmdd>-<HHMMSS>.txt`.
 * The delivery id is the name without `.txt` (`<rsid>_<date>`), so a re-delivered day has the same id
 * and replaces the earlier load.
 */
export interface DeliveryName {
  deliveryId: string;
  rsid: string;
  /** `YYYY-MM-DD` for daily feeds, `YYYY-MM-DDTHH:MM:SS` for hourly feeds. */
  feedDate: string;
  hourly: boolean;
}

const DAILY = /^(.+)_(\d{4})-(\d{2})-(\d{2})\.txt$/;
const HOURLY = /^(.+)_(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})\.txt$/;

export function parseDeliveryName(fileName: string): DeliveryName | null {
  const daily = DAILY.exec(fileName);
  if (daily) {
    const [, rsid, y, m, d] = daily as unknown as [string, string, string, string, string];
    return { deliveryId: fileName.slice(0, -4), rsid, feedDate: `${y}-${m}-${d}`, hourly: false };
  }
  const hourly = HOURLY.exec(fileName);
  if (hourly) {
    const [, rsid, y, m, d, hh, mm, ss] = hourly as unknown as [string, string, string, string, string, string, string, string];
    return { deliveryId: fileName.slice(0, -4), rsid, feedDate: `${y}-${m}-${d}T${hh}:${mm}:${ss}`, hourly: true };
  }
  return null;
}
