CORRECT = []
WRONG = []
