// For the bench's "capture only" mode: every outgoing call is captured (taps, channels, the
// finished record, the hook views) and then skipped, so nothing is queued or delivered. The
// difference to the full mode is the event pipeline (build, serialize, gzip, send).
'use strict';
module.exports = { skipOutgoing: () => true };
