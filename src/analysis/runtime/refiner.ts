// Builds the optional LLM refiner from the configuration: none unless LLM_BASE_URL and LLM_MODEL are both set.
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { AnalysisInput, AnalysisResult } from '../types.js';
import { refineWithLlm } from './llm.js';

export type RefineOutcome = { ok: true; result: AnalysisResult } | { ok: false; reason: string; detail: string };
/** An optional second opinion (an LLM) that may improve the built-in result; on failure the built-in one stands. */
export type Refiner = (input: AnalysisInput, builtIn: AnalysisResult) => Promise<RefineOutcome>;

export function createRefiner(config: Config, logger: Logger): Refiner | undefined {
  if (!config.LLM_BASE_URL || !config.LLM_MODEL) {
    if (config.LLM_BASE_URL || config.LLM_MODEL)
      logger.warn('LLM_BASE_URL and LLM_MODEL must both be set; LLM refinement is off');
    return undefined;
  }
  const opts = {
    baseUrl: config.LLM_BASE_URL,
    model: config.LLM_MODEL,
    timeoutMs: config.LLM_TIMEOUT_MS,
    ...(config.LLM_API_KEY ? { apiKey: config.LLM_API_KEY } : {}),
  };
  logger.info({ model: opts.model, base_url: opts.baseUrl }, 'LLM refinement on');
  return (input, builtIn) => refineWithLlm(opts, input, builtIn);
}
