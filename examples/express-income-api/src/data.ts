import { createHash } from 'node:crypto'

// Synthetic figures: deterministic per input, so responses are stable across calls, and
// obviously not real. A real data source reads its own register here.

function figure(seed: string, min: number, max: number): number {
  const n = createHash('sha256').update(seed).digest().readUInt32BE(0)
  return Math.round((min + (n / 0xffffffff) * (max - min)) / 100) * 100
}

export function yearlyIncome(personId: string, year: string) {
  const wages = figure(`wages:${personId}:${year}`, 250_000, 950_000)
  const capitalIncome = figure(`capital:${personId}:${year}`, 0, 80_000)
  return { wages, capitalIncome, totalIncome: wages + capitalIncome, currency: 'NOK' }
}

/** Every month touched by `from`..`to` (inclusive, `YYYY-MM` or `YYYY-MM-DD`), already checked by the guard. */
export function monthlyIncome(personId: string, from: string, to: string) {
  const months: { month: string; wages: number }[] = []
  let [year, month] = from.split('-').map(Number) as [number, number]
  for (;;) {
    const key = `${year}-${String(month).padStart(2, '0')}`
    if (key > to) break
    months.push({ month: key, wages: figure(`month:${personId}:${key}`, 20_000, 80_000) })
    month += 1
    if (month === 13) [year, month] = [year + 1, 1]
  }
  return { months, currency: 'NOK' }
}

export function companyAccounts(orgno: string) {
  const year = new Date().getUTCFullYear() - 1
  const revenue = figure(`revenue:${orgno}`, 1_000_000, 90_000_000)
  const result = figure(`result:${orgno}`, -2_000_000, 8_000_000)
  return { year, revenue, operatingResult: result, equity: figure(`equity:${orgno}`, 100_000, 30_000_000), currency: 'NOK' }
}

/** Stands in for a credit bureau call that can fail after the consent was marked as used. */
export async function loanAssessment(personId: string) {
  const score = figure(`score:${personId}`, 0, 100_000) / 1000
  return { eligible: score >= 30, score }
}
