// Minimal typings for the parts of autocannon the bench uses (the package ships none).
declare module "autocannon" {
  interface Result {
    non2xx: number;
    errors: number;
    timeouts: number;
  }
  interface Instance extends PromiseLike<Result> {
    on(event: "response", fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
  }
  function autocannon(opts: Record<string, unknown>): Instance;
  export default autocannon;
}
