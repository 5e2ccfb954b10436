import random, sys
sys.path.insert(0, __import__('os').path.dirname(__file__))
from esc import esc
seed=int(sys.argv[1]); n=int(sys.argv[2])
random.seed(seed)
names=['A','B','E','U','S','N1','_x','1','@','#','?','한','कि']
lits=['a','b',' ','  ','\t','x y','.','-',':','=','<','<<','<< ','<<-','é','\n','!','{','}','/','*','?','#','%','~','&','$']
ops=[':-','-',':+','+',':?','?','#','##','%','%%',':=','=',':#',':',',','^','!']
def w(d, esc_ch):
    parts=[]
    for _ in range(random.randint(0,4)):
        r=random.random()
        if r<0.3 or d>4: parts.append(random.choice(lits))
        elif r<0.45: parts.append('$'+random.choice(names))
        elif r<0.6: parts.append('${'+random.choice(names)+'}')
        elif r<0.75:
            op=random.choice(ops)
            parts.append('${'+random.choice(names)+op+w(d+1,esc_ch)+'}')
        elif r<0.8:
            parts.append('${'+random.choice(names)+random.choice(['/','//'])+w(d+1,esc_ch)+'/'+w(d+1,esc_ch)+'}')
        elif r<0.88: parts.append('"'+w(d+1,esc_ch).replace('"','')+'"')
        elif r<0.93: parts.append("'"+w(d+1,esc_ch).replace("'",'')+"'")
        else: parts.append(esc_ch+random.choice(['$',' ','"',"'",esc_ch,'a','}','/','\n','']))
    s=''.join(parts)
    if random.random()<0.05 and s: # corrupt
        i=random.randrange(len(s)); s=s[:i]+s[i+1:]
    return s
for _ in range(n):
    e=random.choice(['\\']*5+['`'])
    word=w(0,e)
    env=[]
    for nm,vals in [('A',['a','a b',' a ','*','']),('B',['b','$A','"q"','']),('E',['']),('S',['x  y','\ty\n']),('한',['v'])]:
        if random.random()<0.7: env.append(nm+'='+random.choice(vals))
    flags=''.join(random.choice('0001') for _ in range(4))
    print(e+flags+'\t'+esc(word)+'\t'+''.join('|'+esc(x) for x in env))
