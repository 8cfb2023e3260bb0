// Streaming Drain-style log template miner (He et al., ICWS 2017): groups log messages into templates online.
//
// A message is masked and split into tokens (masking.ts), routed through a
// fixed-depth tree keyed by token count and then its first tokens, and
// compared with the few clusters in the leaf it reaches. It joins the most
// similar cluster, whose template then turns differing positions into `<*>`,
// or starts a new one. A single configuration is meant to serve every source.
import { WILDCARD, maskMessage } from './masking.js';

export interface MinerOptions {
  /** How many leading tokens route a message through the tree (Drain's "depth" minus 2). */
  prefixDepth: number;
  /** Minimum similarity (0–1) for a message to join an existing cluster. */
  similarity: number;
  /** Max distinct children per tree node; beyond it, new tokens share the `<*>` child. */
  maxChildren: number;
}

/**
 * One configuration for all log sources, chosen on the Loghub-2k benchmark
 * (bench/templates.ts). Average GA there is 0.980 for any similarity from 0.7
 * to 0.8; lower thresholds merge events that differ in one or two words
 * ("from RUNNING to FAILED" vs "from NEW to SCHEDULED"), higher ones split
 * events whose messages carry several word-valued variables. maxChildren
 * made no difference there (any value from 1 to 100); prefixDepth 1 or 3
 * cost about 0.01.
 */
export const DEFAULT_MINER_OPTIONS: Readonly<MinerOptions> = {
  prefixDepth: 2,
  similarity: 0.7,
  maxChildren: 100,
};

export interface MinedTemplate {
  /**
   * Cluster id, `T1`, `T2`, … in order of creation: deterministic for a given
   * input order. When a cluster is later folded into a more general one its id
   * becomes an alias; `resolve()` maps any id ever returned to the live one.
   */
  id: string;
  /** Current template text: tokens joined by single spaces, `<*>` where values vary. */
  template: string;
  /** Messages assigned to this cluster so far (including those of clusters folded into it). */
  count: number;
}

interface Cluster {
  id: string;
  tokens: string[];
  count: number;
  template: string;
}

interface TreeNode {
  children: Map<string, TreeNode>;
  clusters: Cluster[];
}

function newNode(): TreeNode {
  return { children: new Map(), clusters: [] };
}

function snapshot(c: Cluster): MinedTemplate {
  return { id: c.id, template: c.template, count: c.count };
}

export class TemplateMiner {
  private readonly opts: MinerOptions;
  /** Tree roots, one per token count. */
  private readonly roots = new Map<number, TreeNode>();
  /** Live clusters, in creation order (Map keeps insertion order). */
  private readonly live = new Map<string, Cluster>();
  /** Ids of clusters folded into another one -> the id they were folded into. */
  private readonly merged = new Map<string, string>();
  private nextId = 1;

  constructor(opts: Partial<MinerOptions> = {}) {
    this.opts = { ...DEFAULT_MINER_OPTIONS, ...opts };
  }

  /** Learns from one message and returns the state of the cluster it now belongs to. */
  add(message: string): MinedTemplate {
    const tokens = maskMessage(message);
    const leaf = this.leafFor(tokens, true);
    let cluster = this.bestMatch(leaf.clusters, tokens);
    if (cluster === undefined) {
      cluster = { id: `T${this.nextId++}`, tokens, count: 1, template: tokens.join(' ') };
      leaf.clusters.push(cluster);
      this.live.set(cluster.id, cluster);
      this.absorbInstances(leaf, cluster);
    } else {
      cluster.count++;
      if (generalise(cluster.tokens, tokens)) {
        cluster.template = cluster.tokens.join(' ');
        this.absorbInstances(leaf, cluster);
      }
    }
    return snapshot(cluster);
  }

  /** The cluster a message would join, without learning from it; undefined if it would start a new one. */
  match(message: string): MinedTemplate | undefined {
    const tokens = maskMessage(message);
    const leaf = this.leafFor(tokens, false);
    if (leaf === undefined) return undefined;
    const cluster = this.bestMatch(leaf.clusters, tokens);
    return cluster === undefined ? undefined : snapshot(cluster);
  }

  /** The live id for any id this miner ever returned (ids change only when clusters are folded together). */
  resolve(id: string): string {
    let current = id;
    for (let next = this.merged.get(current); next !== undefined; next = this.merged.get(current)) {
      current = next;
    }
    return current;
  }

  /** Current state of the cluster behind an id (following folds), or undefined for an unknown id. */
  get(id: string): MinedTemplate | undefined {
    const cluster = this.live.get(this.resolve(id));
    return cluster === undefined ? undefined : snapshot(cluster);
  }

  /** All live clusters, in creation order. */
  templates(): MinedTemplate[] {
    return Array.from(this.live.values(), snapshot);
  }

  /**
   * Routes by token count, then by each of the first `prefixDepth` tokens.
   * Masked tokens are `<*>` already, so values never split the tree; once a
   * node is crowded, the position is evidently variable and newcomers share
   * its `<*>` child. With `create` false nothing is added and a missing branch
   * yields undefined.
   */
  private leafFor(tokens: readonly string[], create: true): TreeNode;
  private leafFor(tokens: readonly string[], create: false): TreeNode | undefined;
  private leafFor(tokens: readonly string[], create: boolean): TreeNode | undefined {
    let node: TreeNode | undefined = this.roots.get(tokens.length);
    if (node === undefined) {
      if (!create) return undefined;
      node = newNode();
      this.roots.set(tokens.length, node);
    }
    const depth = Math.min(this.opts.prefixDepth, tokens.length);
    for (let i = 0; i < depth; i++) {
      const token = tokens[i] ?? WILDCARD;
      let child: TreeNode | undefined = node.children.get(token);
      if (child === undefined && create && node.children.size < this.opts.maxChildren) {
        child = newNode();
        node.children.set(token, child);
      }
      if (child === undefined) {
        child = node.children.get(WILDCARD);
        if (child === undefined) {
          if (!create) return undefined;
          child = newNode();
          node.children.set(WILDCARD, child);
        }
      }
      node = child;
    }
    return node;
  }

  /**
   * The most similar cluster the message may join: similarity at or above the
   * threshold, or the message is an instance of the cluster's template (every
   * constant in place), because a `<*>` slot that has already varied should
   * accept the next value too. Ties go to the more general template.
   */
  private bestMatch(clusters: readonly Cluster[], tokens: readonly string[]): Cluster | undefined {
    let best: Cluster | undefined;
    let bestScore = -1;
    let bestParams = -1;
    for (const c of clusters) {
      const sim = similarity(c.tokens, tokens);
      const eligible = sim.score >= this.opts.similarity || (hasConstant(c.tokens) && isInstance(c.tokens, tokens));
      if (!eligible) continue;
      if (sim.score > bestScore || (sim.score === bestScore && sim.params > bestParams)) {
        best = c;
        bestScore = sim.score;
        bestParams = sim.params;
      }
    }
    return best;
  }

  /**
   * Folds into `general` every other cluster in the leaf whose template is an
   * instance of `general`'s. Streaming makes clustering order-dependent: an
   * early message can found a cluster with a value baked in as a constant, and
   * a later, more general template would otherwise never reclaim it.
   */
  private absorbInstances(leaf: TreeNode, general: Cluster): void {
    if (!hasConstant(general.tokens)) return;
    let kept = 0;
    for (const c of leaf.clusters) {
      if (c !== general && isInstance(general.tokens, c.tokens)) {
        general.count += c.count;
        this.merged.set(c.id, general.id);
        this.live.delete(c.id);
      } else {
        leaf.clusters[kept++] = c;
      }
    }
    leaf.clusters.length = kept;
  }
}

// Token-sequence comparisons between a cluster template and a masked message (equal lengths only).

interface Similarity {
  /** Matching constants over the positions that carry evidence (see `similarity`). */
  score: number;
  /** Wildcard positions in the template; ties between equally similar clusters go to the more general one. */
  params: number;
}

/**
 * Drain's sequence similarity, with one change: positions where the template
 * has `<*>` and the message has a masked value say nothing either way (the
 * value is variable, as the template already knows), so they leave both the
 * numerator and the denominator. Without that, messages made mostly of values
 * could never reach the threshold, or would reach it on values alone.
 * A template wildcard facing a word stays in the denominator without
 * counting as a match: a slot that has held other words is weak evidence
 * (isInstance() covers the case where every constant is in place).
 */
function similarity(template: readonly string[], tokens: readonly string[]): Similarity {
  const n = template.length;
  let same = 0;
  let params = 0;
  let neutral = 0;
  for (let i = 0; i < n; i++) {
    const t = template[i];
    if (t === WILDCARD) {
      params++;
      if (tokens[i] === WILDCARD) neutral++;
    } else if (t === tokens[i]) {
      same++;
    }
  }
  const evidence = n - neutral;
  return { score: evidence === 0 ? 1 : same / evidence, params };
}

/** True when every constant of the template appears at the same position in the message (the message is an instance). */
function isInstance(template: readonly string[], tokens: readonly string[]): boolean {
  for (let i = 0; i < template.length; i++) {
    const t = template[i];
    if (t !== WILDCARD && t !== tokens[i]) return false;
  }
  return true;
}

/** True when the template has at least one constant; an all-wildcard template would claim every message of its length. */
function hasConstant(template: readonly string[]): boolean {
  for (const t of template) if (t !== WILDCARD) return true;
  return false;
}

/** Turns template positions that differ from the message into wildcards, in place; returns whether any changed. */
function generalise(template: string[], tokens: readonly string[]): boolean {
  let changed = false;
  for (let i = 0; i < template.length; i++) {
    if (template[i] !== WILDCARD && template[i] !== tokens[i]) {
      template[i] = WILDCARD;
      changed = true;
    }
  }
  return changed;
}
