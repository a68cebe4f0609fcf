import sys; sys.path.insert(0, ".")
import django,os,sys;os.environ.setdefault('DJANGO_SETTINGS_MODULE','config.settings');django.setup()
from roadmap.roadmap_markdown import parse_roadmap
d=parse_roadmap(open(sys.argv[1]).read(),sys.argv[1], strict=len(sys.argv)>2)
print(d.title, d.title_line); print(repr(d.introduction))
for p in d.parts:
  print('P',p.title,p.status,repr(p.summary))
  for t in p.topics:
    print(' T',t.title,repr(t.summary))
    for r in t.resources: print('   R',repr(r.title),r.url,r.kind,r.level,r.cost,repr(r.description[:100]))
print("\n".join(d.skipped_lines())); print(d.counts())
