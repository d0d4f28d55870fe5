// Checks a schedule with node-cron's own parser, so what validates here is what the scheduler runs.
import { validateDetailed } from 'node-cron';
import { errorMessage } from '../domain/errors.js';

const FIELD_LABELS: Record<string, string> = {
  second: 'second',
  minute: 'minute',
  hour: 'hour',
  dayOfMonth: 'day-of-month',
  month: 'month',
  dayOfWeek: 'day-of-week',
};

/** Null when the expression is valid, else a message naming the bad field and its value. */
export function describeCronProblem(expression: string): string | null {
  let result: ReturnType<typeof validateDetailed>;
  try {
    result = validateDetailed(expression);
  } catch (error) {
    return `invalid cron expression "${expression}": ${errorMessage(error)}`;
  }
  if (result.valid) return null;
  const problems = result.errors.map((e) => {
    if (e.field === 'expression') return e.message;
    const label = FIELD_LABELS[e.field] ?? e.field;
    // node-cron's generic wording ("is a invalid expression for") adds nothing to the field name.
    const detail = e.message.includes('invalid expression') ? 'is invalid' : `is invalid: ${e.message}`;
    return `${label} field "${e.value ?? ''}" ${detail}`;
  });
  return `invalid cron expression "${expression}": ${problems.join('; ')} (expected 5 fields "minute hour day-of-month month day-of-week", or 6 with seconds first)`;
}
