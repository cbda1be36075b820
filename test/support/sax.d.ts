/** The slice of sax 1.6's API the tests use (the package ships no types; lib/sax.js). */
declare module 'sax' {
  export interface Tag {
    name: string;
    attributes: Record<string, string>;
  }
  export interface SAXParser {
    onopentag: (tag: Tag) => void;
    onclosetag: (name: string) => void;
    ontext: (text: string) => void;
    onerror: (error: Error) => void;
    write(xml: string): SAXParser;
    close(): SAXParser;
  }
  /** strict: well-formedness errors are errors (XML 1.0), not recovered from. */
  export function parser(strict: boolean, options?: { trim?: boolean; normalize?: boolean; xmlns?: boolean }): SAXParser;
  const sax: { parser: typeof parser };
  export default sax;
}
