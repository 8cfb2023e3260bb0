// Builds the optional LLM refiner from the configuration: none unless LLM_BASE_URL and LLM_MODEL are both set.
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { refineWithLlm } from './llm.js';
import type { Refiner } from './service.js';

export function createRefiner(config: Config, logger: Logger): Refiner | undefined {
  if (!config.LLM_BASE_URL || !config.LLM_MODEL) {
    if (config.LLM_BASE_URL || config.LLM_MODEL) logger.warn('LLM_BASE_URL and LLM_MODEL must both be set; LLM refinement is off');
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
