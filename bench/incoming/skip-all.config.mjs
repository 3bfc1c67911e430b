// Bench config for the "capture only" server: every request is captured (taps, hooks, finish)
// and then skipped, so no event is assembled or sent. Isolates the request-path cost.
export default { skip: () => true };
