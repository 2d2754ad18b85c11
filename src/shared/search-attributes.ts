import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

/**
 * Search attributes every nightshift workflow carries, so the Web UI can filter
 * by project, backlog item and phase (e.g. `NightshiftProject = "acme" AND
 * NightshiftPhase = "review"`). Wire names: renaming one breaks saved filters.
 * Sandbox-safe: imported by workflows.
 */
export const PROJECT_ATTRIBUTE = defineSearchAttributeKey('NightshiftProject', SearchAttributeType.KEYWORD);
export const ITEM_ATTRIBUTE = defineSearchAttributeKey('NightshiftItem', SearchAttributeType.KEYWORD);
export const PHASE_ATTRIBUTE = defineSearchAttributeKey('NightshiftPhase', SearchAttributeType.KEYWORD);

export const NIGHTSHIFT_SEARCH_ATTRIBUTES = [PROJECT_ATTRIBUTE, ITEM_ATTRIBUTE, PHASE_ATTRIBUTE] as const;

/** `--search-attribute Name=Keyword` pairs for `temporal server start-dev`. */
export function devServerSearchAttributeArgs(): string[] {
  return NIGHTSHIFT_SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]);
}

/** The attributes a workflow starts with; empty when the namespace lacks them (see ensureSearchAttributes). */
export function workflowSearchAttributes(
  enabled: boolean | undefined,
  o: { projectId: string; itemKey?: string | null; phase?: string | null },
): SearchAttributePair[] {
  if (!enabled) return [];
  const pairs: SearchAttributePair[] = [{ key: PROJECT_ATTRIBUTE, value: o.projectId }];
  if (o.itemKey) pairs.push({ key: ITEM_ATTRIBUTE, value: o.itemKey });
  if (o.phase) pairs.push({ key: PHASE_ATTRIBUTE, value: o.phase });
  return pairs;
}
