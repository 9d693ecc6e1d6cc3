// Reads iCalendar files with ical.js (the parser inside Thunderbird) and
// prints, for each file, its events as JSON: uid, sequence, status, the
// start and end in UTC (Unix seconds), and the decoded texts.
//
//   ICALJS=/path/to/ical.js node icaljs_times.mjs FILE.ics...
//
// ical.js reads a TZID through the file's own VTIMEZONE; a TZID without
// one would be floating time, so run this with TZ=UTC to make that show.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const ICAL = (await import(pathToFileURL(process.env.ICALJS).href)).default;

const out = {};
for (const file of process.argv.slice(2)) {
  const root = new ICAL.Component(ICAL.parse(readFileSync(file, 'utf8')));
  const events = [];
  for (const vevent of root.getAllSubcomponents('vevent')) {
    const ev = new ICAL.Event(vevent);
    const tzid = vevent.getFirstProperty('dtstart').getParameter('tzid') || '';
    events.push({
      uid: ev.uid,
      sequence: ev.sequence,
      status: vevent.getFirstPropertyValue('status') || '',
      start: ev.startDate.toUnixTime(),
      end: ev.endDate.toUnixTime(),
      zone: ev.startDate.zone ? ev.startDate.zone.tzid : '',
      tzid,
      summary: ev.summary || '',
      location: ev.location || '',
      description: ev.description || '',
      categories: vevent.getAllProperties('categories').flatMap((p) => p.getValues()),
      alarms: vevent.getAllSubcomponents('valarm').length,
    });
  }
  out[file] = events;
}
process.stdout.write(JSON.stringify(out));
