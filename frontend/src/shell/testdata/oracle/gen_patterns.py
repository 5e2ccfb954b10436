import random, sys
sys.path.insert(0, __import__('os').path.dirname(__file__))
from esc import esc
seed=int(sys.argv[1]); n=int(sys.argv[2])
random.seed(seed)
pat_atoms=['a','b','a','b','*','*','?','\\*','\\?','\\\\','\n','é','$P','"*"',"'?'",'\\}','\\/','c','ab','**','.','[',']','^','$','(',')','|','+','{','\\a']
val_atoms=['a','b','a','b','c','\n','*','?','é','\\','ab','ba','/',' ']
rep_atoms=['x','$0','${0}','$$','$1','$','$x','${x}','${0','\\$0',"'$0'",'y','&','\\1','$00']
ops=['#','##','%','%%','/','//','/#','/%']
for _ in range(n):
    v=''.join(random.choice(val_atoms) for _ in range(random.randint(0,12)))
    p=''.join(random.choice(pat_atoms) for _ in range(random.randint(0,6)))
    op=random.choice(ops)
    if op.startswith('/'):
        r=''.join(random.choice(rep_atoms) for _ in range(random.randint(0,3)))
        w='${V'+op+p+'/'+r+'}'
    else:
        w='${V'+op+p+'}'
    env=['V='+v,'P='+''.join(random.choice(pat_atoms[:12]) for _ in range(random.randint(0,4)))]
    escape=random.choice(['\\']*6+['`'])
    flags=random.choice(['0000','0000','1100','0100','1000','0001'])
    print(escape+flags+'\t'+esc(w)+'\t'+''.join('|'+esc(e) for e in env))
