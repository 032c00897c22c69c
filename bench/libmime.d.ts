/** The one libmime function the benchmark sink uses (the package ships no types). */
declare module 'libmime' {
  const libmime: { decodeWords(value: string): string };
  export default libmime;
}
