"""Reads iCalendar files with python3-icalendar and prints, for each file,
its events as JSON: uid, sequence, status, the start and end in UTC (Unix
seconds) and the decoded texts.

    /usr/bin/python3 pyical_times.py FILE.ics...

python3-icalendar reads a TZID that names an Olson zone with pytz's own
data ("start", "end"); "vtz_start" and "vtz_end" read the same local times
through the file's VTIMEZONE instead, converted by icalendar's to_tz(), so
both the times and the VTIMEZONE are checked.
"""
import json
import sys
from datetime import datetime

import icalendar


def unix(dt):
    return int(dt.timestamp())


def main(files):
    out = {}
    for name in files:
        with open(name, 'rb') as f:
            cal = icalendar.Calendar.from_ical(f.read())
        zones = {}
        for tz in cal.walk('VTIMEZONE'):
            zones[str(tz['TZID'])] = tz.to_tz()
        events = []
        for ev in cal.walk('VEVENT'):
            start, end = ev.decoded('DTSTART'), ev.decoded('DTEND')
            item = {
                'uid': str(ev['UID']),
                'sequence': int(ev.get('SEQUENCE', 0)),
                'status': str(ev.get('STATUS', '')),
                'start': unix(start),
                'end': unix(end),
                'summary': str(ev.get('SUMMARY', '')),
                'location': str(ev.get('LOCATION', '')),
                'description': str(ev.get('DESCRIPTION', '')),
                'alarms': len(ev.walk('VALARM')),
            }
            tzid = ev['DTSTART'].params.get('TZID')
            if tzid in zones:
                for key, prop in (('vtz_start', 'DTSTART'), ('vtz_end', 'DTEND')):
                    local = datetime.strptime(ev[prop].to_ical().decode(), '%Y%m%dT%H%M%S')
                    item[key] = unix(zones[tzid].localize(local))
            events.append(item)
        out[name] = events
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main(sys.argv[1:])
