import subprocess, sys
def esc(s):
    out=[]
    for c in s:
        b=ord(c)
        if c in '%|' or b<0x20 or b==0x7f: out.append('%%%02x'%b)
        else: out.append(c)
    return ''.join(out)
def unesc(s):
    b=bytearray(); i=0; raw=s.encode()
    while i<len(raw):
        if raw[i]==ord('%'): b.append(int(raw[i+1:i+3],16)); i+=3
        else: b.append(raw[i]); i+=1
    return b.decode()
def run(cases):
    lines=[]
    for opts,word,env in cases:
        lines.append('\t'.join([opts,esc(word),''.join('|'+esc(e) for e in env)]))
    out=subprocess.run(['./oracle'],input='\n'.join(lines)+'\n',capture_output=True,text=True).stdout
    res=[]
    for (opts,word,env),line in zip(cases,out.splitlines()):
        f=line.split('\t')
        if f[3]=='err': res.append((opts,word,env,('err',unesc(f[4]))))
        else:
            lst=lambda x:[unesc(i) for i in x.split('|')[1:]]
            res.append((opts,word,env,('ok',unesc(f[4]),lst(f[5]),lst(f[6]),lst(f[7]))))
    return res
if __name__=='__main__':
    env=[]
    cases=[]
    opts='\\0000'
    for line in sys.stdin.read().split('\n'):
        if not line: continue
        if line.startswith('ENV '): env=[e for e in line[4:].split(';') if e]; continue
        if line.startswith('OPTS '): opts=line[5:]; continue
        cases.append((opts,line,env))
    for r in run(cases): print(repr(r[1]), r[3])
