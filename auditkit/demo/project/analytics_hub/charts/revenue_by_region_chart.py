columns = df_1.columns
x = df_1[df_1['region'] != 'TOTAL']['region']
y = df_1[df_1['region'] != 'TOTAL']['net_revenue_usd']
