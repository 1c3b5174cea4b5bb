// Parsing WWW-Authenticate challenges (RFC 7235) as registries send them:
//   Bearer realm="https://auth.example/token",service="registry.example",scope="repository:x:pull"
//   Basic realm="Registry Realm"
// A token followed by '=' is a parameter of the current challenge, any other token starts a new
// challenge; values are quoted strings (with backslash escapes) or bare tokens.

export interface Challenge {
  /** Lowercased: "bearer", "basic". */
  scheme: string;
  /** Parameter names lowercased. */
  params: Record<string, string>;
}

const TOKEN_CHAR = /[\w!#$%&'*+.^`|~/:-]/;

export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const skip = () => {
    while (i < header.length && (header[i] === ' ' || header[i] === '\t' || header[i] === ',')) i++;
  };
  const token = () => {
    const start = i;
    while (i < header.length && TOKEN_CHAR.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  for (skip(); i < header.length; skip()) {
    const word = token();
    if (word === '') break; // a character no challenge can contain: stop rather than loop
    let j = i;
    while (header[j] === ' ') j++;
    if (header[j] === '=' && out.length > 0) {
      i = j + 1;
      while (header[i] === ' ') i++;
      let value = '';
      if (header[i] === '"') {
        for (i++; i < header.length && header[i] !== '"'; i++) value += header[i] === '\\' ? (header[++i] ?? '') : header[i];
        i++;
      } else {
        value = token();
      }
      out[out.length - 1]!.params[word.toLowerCase()] = value;
    } else {
      out.push({ scheme: word.toLowerCase(), params: {} });
    }
  }
  return out;
}
