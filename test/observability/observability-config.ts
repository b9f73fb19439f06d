import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/paths.js';

/** The shipped observability files (observability/ in the repository). */
export const observabilityDir = join(repoRoot, 'observability');

export function readShipped(relativePath: string): string {
  return readFileSync(join(observabilityDir, relativePath), 'utf8');
}

export interface AlertRule {
  name: string;
  expr: string;
}

/**
 * The alert rules of alerts.yml, read from the text: an `expr:` on one line, or a `|` block of
 * the lines indented below it. (No YAML library is a dependency of the project.)
 */
export function alertRules(text = readShipped('alerts.yml')): AlertRule[] {
  const lines = text.split('\n');
  const rules: AlertRule[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const name = /^\s*- alert: (\S+)/.exec(lines[index]!)?.[1];
    if (!name) continue;
    let at = index + 1;
    while (at < lines.length && !/^\s*expr:/.test(lines[at]!)) at += 1;
    const exprLine = lines[at]!;
    const inline = /^\s*expr: (.+)$/.exec(exprLine)![1]!.trim();
    if (inline !== '|') {
      rules.push({ name, expr: inline });
      continue;
    }
    const indent = exprLine.search(/\S/);
    const block: string[] = [];
    for (at += 1; at < lines.length && (lines[at]!.trim() === '' || lines[at]!.search(/\S/) > indent); at += 1)
      block.push(lines[at]!.trim());
    rules.push({ name, expr: block.join(' ').trim() });
  }
  return rules;
}

/**
 * The series selectors of an expression (metric name and matchers), each of which must match
 * something for the expression to mean anything: a misspelled metric or label makes a rule that
 * never fires, and Prometheus accepts it without a word.
 */
export function selectorsOf(expression: string): string[] {
  const found = expression.matchAll(/\b(switchboard_[a-z_]+|consul_[A-Za-z_]+|up)\b(\{[^}]*\})?/g);
  return [...new Set([...found].map((match) => match[0]))];
}

export interface DashboardQuery {
  panel: string;
  expr: string;
}

/** Every query of the Grafana dashboard, with Grafana's $__rate_interval set to `rateWindow`. */
export function dashboardQueries(rateWindow: string): DashboardQuery[] {
  interface Panel {
    title: string;
    panels?: Panel[];
    targets?: { expr: string }[];
  }
  const dashboard = JSON.parse(readShipped('grafana/dashboards/switchboard.json')) as { panels: Panel[] };
  const queries: DashboardQuery[] = [];
  const visit = (panel: Panel) => {
    for (const target of panel.targets ?? [])
      queries.push({ panel: panel.title, expr: target.expr.replaceAll('$__rate_interval', rateWindow) });
    for (const inner of panel.panels ?? []) visit(inner);
  };
  for (const panel of dashboard.panels) visit(panel);
  return queries;
}
