/** The slice of js-yaml 4's API the tests use (the package ships no types; index.js). */
declare module 'js-yaml' {
  /** Parse one YAML document (YAML 1.2 core schema). */
  export function load(text: string): unknown;
  const yaml: { load: typeof load };
  export default yaml;
}
