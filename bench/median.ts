// The median the bench suites report (runs vary with the shared machine's load; the median less so).
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}
