import type { $ZodIssue } from 'zod/v4/core'

/** A short, readable rendering of Zod issues for error messages. */
export function describeIssues(issues: readonly $ZodIssue[]): string {
  return issues
    .slice(0, 3)
    .map(
      (issue) =>
        (issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '') + issue.message
    )
    .join('; ')
}
