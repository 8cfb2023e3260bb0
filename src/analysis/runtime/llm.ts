// Optional LLM refinement: sends the built-in findings (never the raw events) to an OpenAI-compatible endpoint and merges a validated reply.
import { z } from 'zod';
import type { EventLevel } from '../../../schema/index.js';
import { cutText } from '../../text-cut.js';
import { categoryById } from '../categories/index.js';
import type { AnalysisInput, AnalysisResult, SuggestedAction } from '../types.js';

export interface LlmOptions {
  /** e.g. `http://127.0.0.1:11434` for a local Ollama; `/v1/chat/completions` is appended (a trailing `/v1` is tolerated). */
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** Covers the whole exchange: connect, generation and reading the body. */
  timeoutMs: number;
  /** Injectable for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

export type LlmFailureReason = 'timeout' | 'http_error' | 'invalid_reply' | 'network_error';

export type LlmOutcome = { ok: true; result: AnalysisResult } | { ok: false; reason: LlmFailureReason; detail: string };

/** What the model must answer. `actions` is optional: without it, `suggested_actions` become actions in order. */
export const LlmReply = z.object({
  root_cause: z.string().trim().min(1).max(2000),
  ai_summary: z.string().trim().min(1).max(4000),
  suggested_actions: z.array(z.string().trim().min(1).max(500)).min(1).max(15),
  actions: z
    .array(
      z.object({
        title: z.string().trim().min(1).max(500),
        description: z.string().max(2000).default(''),
        priority: z.number().int().min(1).max(5),
      }),
    )
    .min(1)
    .max(15)
    .optional(),
  confidence: z.number().min(0).max(1).optional(),
});
export type LlmReply = z.infer<typeof LlmReply>;

const ChatCompletion = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
});

const SYSTEM_PROMPT = [
  'You are a site reliability engineer reviewing an automatic incident analysis.',
  'You get the incident, event counts, the most telling log templates and the built-in analysis as JSON.',
  'Tell cause from consequence: timeouts, 5xx responses, retries and latency alerts are usually consequences;',
  'the earliest anomalous template and deploys or config changes just before the errors usually point at the cause.',
  'Use only the evidence given. If the built-in analysis is right, keep its conclusion and improve its wording.',
  'Reply with ONE JSON object with these keys:',
  '"root_cause": 1-2 sentences naming the failing component and the mechanism;',
  '"ai_summary": 2-5 sentences: what is affected since when, event volume by level, dominant templates, status;',
  '"suggested_actions": ordered, concrete steps naming the component;',
  '"actions" (optional): the same steps as [{"title", "description", "priority"}] with priority 1 (urgent) to 5;',
  '"confidence": a number from 0 to 1.',
].join(' ');

const MAX_DETAIL = 300;

/** The compact, structured evidence the model sees: counts and top templates, never the events themselves. */
export function llmEvidence(input: Pick<AnalysisInput, 'incident' | 'events'>, builtIn: AnalysisResult) {
  const byLevel: Record<EventLevel, number> = { debug: 0, info: 0, warning: 0, error: 0, critical: 0 };
  const sources = new Map<string, number>();
  for (const e of input.events) {
    byLevel[e.level]++;
    sources.set(e.source, (sources.get(e.source) ?? 0) + 1);
  }
  const { incident } = input;
  return {
    incident: {
      title: incident.title,
      description: incident.description,
      severity: incident.severity,
      status: incident.status,
      tags: incident.tags,
      created_at: incident.created_at,
    },
    events: {
      total: input.events.length,
      by_level: byLevel,
      top_sources: [...sources.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 10)
        .map(([source, count]) => ({ source, count })),
    },
    templates: builtIn.evidence.templates,
    built_in_analysis: {
      category: builtIn.category,
      category_title: builtIn.category === null ? null : (categoryById(builtIn.category)?.title ?? null),
      confidence: builtIn.confidence,
      root_cause: builtIn.root_cause,
      ai_summary: builtIn.ai_summary,
      suggested_actions: builtIn.suggested_actions,
    },
    similar_past_incidents: builtIn.similar,
  };
}

function endpoint(baseUrl: string): string {
  const base = baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
  return `${base}/v1/chat/completions`;
}

function clip(text: string): string {
  const cut = cutText(text, MAX_DETAIL);
  return cut === text ? text : `${cut}…`;
}

/** Models sometimes wrap JSON in a Markdown fence even when asked not to. */
function unfence(text: string): string {
  const m = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/i.exec(text);
  return m?.[1] ?? text;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; detail: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** The model's words over the built-in evidence: category, evidence and similar incidents stay as measured. */
export function mergeReply(builtIn: AnalysisResult, reply: LlmReply, model: string): AnalysisResult {
  const actions: SuggestedAction[] =
    reply.actions ??
    reply.suggested_actions.map((title, i) => ({
      title,
      description: builtIn.actions.find((a) => a.title === title)?.description ?? '',
      priority: Math.min(5, i + 1),
    }));
  return {
    ...builtIn,
    analyzer: `llm:${model}`,
    root_cause: reply.root_cause,
    ai_summary: reply.ai_summary,
    suggested_actions: reply.suggested_actions,
    actions,
    confidence: reply.confidence ?? builtIn.confidence,
  };
}

/**
 * Asks the model once (no retries). Any failure — timeout, HTTP error, unreachable host,
 * or a reply that is not the JSON we asked for — comes back as `ok: false` so the caller
 * keeps the built-in result.
 */
export async function refineWithLlm(
  opts: LlmOptions,
  input: Pick<AnalysisInput, 'incident' | 'events'>,
  builtIn: AnalysisResult,
): Promise<LlmOutcome> {
  const doFetch = opts.fetch ?? fetch;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs);
  try {
    const res = await doFetch(endpoint(opts.baseUrl), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
      },
      body: JSON.stringify({
        model: opts.model,
        temperature: 0,
        stream: false,
        response_format: { type: 'json_object' },
        messages: [
          { role: 'system', content: SYSTEM_PROMPT },
          { role: 'user', content: JSON.stringify(llmEvidence(input, builtIn)) },
        ],
      }),
      signal: controller.signal,
    });
    const body = await res.text();
    if (!res.ok) return { ok: false, reason: 'http_error', detail: clip(`HTTP ${res.status}: ${body}`) };
    const envelope = parseJson(body);
    if (!envelope.ok)
      return { ok: false, reason: 'invalid_reply', detail: clip(`response is not JSON: ${envelope.detail}`) };
    const completion = ChatCompletion.safeParse(envelope.value);
    const content = completion.success ? completion.data.choices[0]?.message.content : undefined;
    if (content === undefined || content === null) {
      return {
        ok: false,
        reason: 'invalid_reply',
        detail: clip(completion.success ? 'empty message content' : issues(completion.error)),
      };
    }
    const parsed = parseJson(unfence(content));
    if (!parsed.ok)
      return { ok: false, reason: 'invalid_reply', detail: clip(`message content is not JSON: ${parsed.detail}`) };
    const reply = LlmReply.safeParse(parsed.value);
    if (!reply.success) return { ok: false, reason: 'invalid_reply', detail: clip(issues(reply.error)) };
    return { ok: true, result: mergeReply(builtIn, reply.data, opts.model) };
  } catch (err) {
    if (controller.signal.aborted)
      return { ok: false, reason: 'timeout', detail: `no complete reply within ${opts.timeoutMs} ms` };
    return {
      ok: false,
      reason: 'network_error',
      detail: clip(err instanceof Error ? `${err.message}${causeOf(err)}` : String(err)),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** undici hides the useful part ("ECONNREFUSED") in `cause`. */
function causeOf(err: Error): string {
  const cause: unknown = err.cause;
  return cause instanceof Error ? `: ${cause.message}` : '';
}
