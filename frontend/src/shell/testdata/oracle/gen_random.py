import sys
sys.path.insert(0, __import__('os').path.dirname(__file__))
from esc import esc
import random, sys
seed=int(sys.argv[1]); n=int(sys.argv[2])
random.seed(seed)
atoms=['$','$','$','{','{','}','}',':','-','+','?','#','%','/','//','\\','\\','`',"'",'"',' ','  ','\t','\n','<','<<','a','b','A','B','_','x','1','0','9','@','*','!','.','=','^',',','PWD','NULL','한','\u0915\u093e','\u2160','é','\u00a0','\ufeff','\u0661','y','ab','${','${A','${B:-','${A#','${A%%','${A/','${A//','}','$A','$B','"$A"',"'$A'",'\\$','\\}','\\/','\\*','\\?','\\\\','**','*?','x*y']
names=['A','B','C','NULL','PWD','a','한','x1','_','@','0','1']
vals=['','a','ab','abab','a b','  lead','trail  ','x*y','a\\b','/usr/local/bin','aaa','$A','${B}','\\','*','?','\n','a\nb','한국어','é\u0301','}','/','"q"',"'s'",'a.b.c','xxyy','%','#']
for _ in range(n):
    k=random.choice([1,2,3,4,6,8,12,16,24])
    word=''.join(random.choice(atoms) for _ in range(k))
    env=[]
    for _ in range(random.randint(0,4)):
        env.append(random.choice(names)+'='+random.choice(vals))
    if random.random()<0.1: env.append(random.choice(names))
    escape=random.choice(['\\']*4+['`'])
    flags=''.join(random.choice('0001') for _ in range(4))
    print(escape+flags+'\t'+esc(word)+'\t'+''.join('|'+esc(e) for e in env))
