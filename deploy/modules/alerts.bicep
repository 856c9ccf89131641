// Log search alert rules on the Application Insights resource armbridge exports to. Each query lives in
// deploy/alerts/*.kql and is tested against the telemetry armbridge really sends
// (test/e2e/workbook-queries.test.ts). deploy/README.md ("Workbook and alerts") explains each rule.
param location string
param namePrefix string

@description('The Application Insights resource the rules query.')
param insightsId string

@description('Action groups (resource ids) every rule notifies. Empty: the alerts show in the portal only.')
param actionGroupIds array = []

@description('ARM 429 answers per subscription within 15 minutes above which the throttling rule fires.')
param throttlingThreshold int = 10

var rules = [
  {
    name: 'dead-jobs'
    displayName: 'armbridge: a job ended dead'
    description: 'A job used up its attempts or its maximum age. One alert per caller and operation; the workbook lists the jobs with ARM\'s error. Retry with POST /v1/jobs/{id}/retry once the cause is fixed.'
    severity: 2
    query: loadTextContent('../alerts/dead-jobs.kql')
    measure: 'deadJobs'
    threshold: 0
    dimensions: [
      { name: 'caller', operator: 'Include', values: ['*'] }
      { name: 'operation', operator: 'Include', values: ['*'] }
    ]
    frequency: 'PT5M'
    window: 'PT5M'
  }
  {
    name: 'arm-throttling'
    displayName: 'armbridge: ARM throttles its calls'
    description: 'ARM answered 429 more than ${throttlingThreshold} times in 15 minutes for one subscription. armbridge waits out each Retry-After, but jobs slow down and may die of age.'
    severity: 3
    query: loadTextContent('../alerts/arm-throttling.kql')
    measure: 'throttled'
    threshold: throttlingThreshold
    dimensions: [{ name: 'subscription', operator: 'Include', values: ['*'] }]
    frequency: 'PT5M'
    window: 'PT15M'
  }
  {
    name: 'imds-lockdown-broken'
    displayName: 'armbridge: the IMDS lock-down was missing'
    description: 'The lock-down watch found the nftables rules missing or changed (and loaded them again): for up to a minute any process on the VM could get the managed identity\'s token. Find out who flushed the ruleset (journal: armbridge-imds-lockdown).'
    severity: 1
    query: loadTextContent('../alerts/imds-lockdown-broken.kql')
    measure: ''
    threshold: 0
    dimensions: []
    frequency: 'PT5M'
    window: 'PT5M'
  }
  {
    name: 'imds-lockdown-unchecked'
    displayName: 'armbridge: the IMDS lock-down is not being checked'
    description: 'No report of the lock-down watch for 10 minutes, or its last check older than 3 minutes: armbridge is not exporting, or armbridge-imds-watch.timer stopped. Until a check reports again nobody vouches for the lock-down.'
    severity: 1
    query: loadTextContent('../alerts/imds-lockdown-unchecked.kql')
    measure: ''
    threshold: 0
    dimensions: []
    frequency: 'PT5M'
    window: 'PT10M'
  }
]

resource alerts 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in rules: {
    name: '${namePrefix}-${rule.name}'
    location: location
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [insightsId]
      evaluationFrequency: rule.frequency
      windowSize: rule.window
      criteria: {
        allOf: [
          {
            query: rule.query
            // A measure column: its total per dimension combination; none: the number of rows.
            timeAggregation: empty(rule.measure) ? 'Count' : 'Total'
            metricMeasureColumn: empty(rule.measure) ? null : rule.measure
            operator: 'GreaterThan'
            threshold: rule.threshold
            // One alert per combination of these columns' values.
            dimensions: rule.dimensions
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
          }
        ]
      }
      autoMitigate: true
      actions: { actionGroups: actionGroupIds }
    }
  }
]

output ruleNames array = [for (rule, i) in rules: alerts[i].name]
