/**
 * Readers of the files and lines `audit` writes for CI systems, written independently of
 * the writers: XML through sax in strict mode, workflow commands as the Actions runner
 * parses them.
 */
import sax from 'sax';

export interface XmlNode {
  name: string;
  attributes: Record<string, string>;
  children: XmlNode[];
  text: string;
}

/** Parse with sax in strict mode: any well-formedness error throws. */
export function parseXml(xml: string): XmlNode {
  const parser = sax.parser(true);
  const root: XmlNode = { name: '#document', attributes: {}, children: [], text: '' };
  const stack = [root];
  parser.onerror = (error) => {
    throw error;
  };
  parser.onopentag = (tag) => {
    // Without the xmlns option sax gives plain string attributes (QualifiedAttribute objects only with it).
    const node: XmlNode = { name: tag.name, attributes: tag.attributes as Record<string, string>, children: [], text: '' };
    stack[stack.length - 1]!.children.push(node);
    stack.push(node);
  };
  parser.onclosetag = () => void stack.pop();
  parser.ontext = (text) => {
    stack[stack.length - 1]!.text += text;
  };
  parser.write(xml).close();
  if (root.children.length !== 1) throw new Error(`expected one root element, got ${root.children.length}`);
  return root.children[0]!;
}

/** Every element of this name in the tree, the node itself included, in document order. */
export function all(node: XmlNode, name: string): XmlNode[] {
  return [...(node.name === name ? [node] : []), ...node.children.flatMap((c) => all(c, name))];
}

/** A workflow command parsed as the Actions runner does (actions/runner src/Runner.Common/ActionCommand.cs TryParseV2). */
export function parseCommand(line: string): { name: string; properties: Record<string, string>; message: string } {
  const end = line.indexOf('::', 2);
  if (!line.startsWith('::') || end <= 2) throw new Error(`not a workflow command: ${line}`);
  const info = line.slice(2, end);
  const space = info.indexOf(' ');
  const name = space < 0 ? info : info.slice(0, space);
  const properties: Record<string, string> = {};
  if (space >= 0) {
    for (const pair of info.slice(space + 1).split(',')) {
      const eq = pair.indexOf('=');
      properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
    }
  }
  return { name, properties, message: unescapeData(line.slice(end + 2)) };
}

/** A command's message back to its text (the runner's order: %25 last). */
export function unescapeData(value: string): string {
  return value.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

/** A property value back to its text. */
export function unescapeProperty(value: string): string {
  return value.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');
}

