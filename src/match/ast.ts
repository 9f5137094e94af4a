// The parsed form of a query (what parseQuery returns). Leaves keep their source text and
// position for explanations and error messages; words are already normalised (normalize.ts).
// Text-field scopes wrap a subtree; metadata filters (url:, site:, feed:, lang:) are leaves.

export type TextField = 'title' | 'summary' | 'content';
export type MetaField = 'url' | 'site' | 'feed' | 'lang';
export type FieldName = TextField | MetaField;

export const TEXT_FIELDS: readonly TextField[] = ['title', 'summary', 'content'];
export const META_FIELDS: readonly MetaField[] = ['url', 'site', 'feed', 'lang'];

/**
 * One position of a word sequence: a plain word (`parts` has one element), or a hyphenated
 * word, which matches its parts side by side or its `joined` form ("cease-fire").
 */
export interface Unit {
  parts: string[];
  joined?: string;
}

interface Located {
  /** Char offsets of the node's source in the query. */
  start: number;
  end: number;
}

/** A bare word (stemmed). Several units when the source holds several words ("cease-fire"). */
export interface TermNode extends Located {
  type: 'term';
  text: string;
  units: Unit[];
}
/** A quoted phrase: the words consecutive and exact (not stemmed). */
export interface PhraseNode extends Located {
  type: 'phrase';
  text: string;
  units: Unit[];
}
/** `negotiat*`: any word that starts with `prefix` (normalised). */
export interface PrefixNode extends Located {
  type: 'prefix';
  text: string;
  prefix: string;
}
/** `/cease-?fire/`: a case-insensitive regular expression over the raw field text (regex.ts). */
export interface RegexNode extends Located {
  type: 'regex';
  text: string;
  /** The pattern as written between the slashes; parseQuery has checked that it compiles. */
  source: string;
}
/** `site:bbc.co.uk`, `feed:ukraine`, `lang:en`, `url:/live/`: a metadata filter (literal value). */
export interface MetaNode extends Located {
  type: 'meta';
  text: string;
  field: MetaField;
  value: string;
}
/** `title:…`, `summary:…`, `content:…`: the subtree searches only that text field. */
export interface FieldNode extends Located {
  type: 'field';
  field: TextField;
  child: QueryNode;
}
export interface AndNode extends Located {
  type: 'and';
  children: QueryNode[];
}
export interface OrNode extends Located {
  type: 'or';
  children: QueryNode[];
}
export interface NotNode extends Located {
  type: 'not';
  child: QueryNode;
}
/** `a NEAR/n b`: at most n words between the two, in the same field, either order. */
export interface NearNode extends Located {
  type: 'near';
  distance: number;
  children: [QueryNode, QueryNode];
}

export type QueryNode =
  | TermNode
  | PhraseNode
  | PrefixNode
  | RegexNode
  | MetaNode
  | FieldNode
  | AndNode
  | OrNode
  | NotNode
  | NearNode;

/** Leaves that have word positions, so NEAR can use them. */
export function isPositional(node: QueryNode): boolean {
  switch (node.type) {
    case 'term':
    case 'phrase':
    case 'prefix':
      return true;
    case 'near':
      return true;
    case 'field':
      return isPositional(node.child);
    case 'or':
      return node.children.every(isPositional);
    default:
      return false;
  }
}
