// Module declarations for non-TS imports that Bun embeds (migrations, client assets).
declare module "*.sql" {
  const text: string;
  export default text;
}
