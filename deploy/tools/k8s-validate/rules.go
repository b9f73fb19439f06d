package main

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// objectProblems applies the API server's rules that k8s.io/apimachinery exports: what a strict
// decode alone lets through (a bad name, label or port name, a selector that misses its pods).
func objectProblems(object runtime.Object) []string {
	var problems []string
	add := func(errs field.ErrorList) {
		for _, err := range errs {
			problems = append(problems, err.Error())
		}
	}
	addStrings := func(path string, messages []string) {
		for _, message := range messages {
			problems = append(problems, fmt.Sprintf("%s: %s", path, message))
		}
	}
	accessor, ok := object.(metav1.Object)
	if !ok {
		return []string{"not an object with metadata"}
	}
	if accessor.GetName() == "" {
		problems = append(problems, "metadata.name: required")
	}
	addStrings("metadata.name", validation.IsDNS1123Subdomain(accessor.GetName()))
	add(metavalidation.ValidateLabels(accessor.GetLabels(), field.NewPath("metadata", "labels")))
	add(apivalidation.ValidateAnnotations(accessor.GetAnnotations(), field.NewPath("metadata", "annotations")))

	switch typed := object.(type) {
	case *appsv1.Deployment:
		problems = append(problems, selectorProblems(typed.Spec.Selector, typed.Spec.Template.Labels, true)...)
		problems = append(problems, podProblems(&typed.Spec.Template.Spec)...)
	case *batchv1.Job:
		problems = append(problems, podProblems(&typed.Spec.Template.Spec)...)
		if policy := typed.Spec.Template.Spec.RestartPolicy; policy != corev1.RestartPolicyNever && policy != corev1.RestartPolicyOnFailure {
			problems = append(problems, "spec.template.spec.restartPolicy: a Job needs Never or OnFailure")
		}
	case *corev1.Service:
		addStrings("metadata.name", validation.IsDNS1035Label(typed.Name))
		for _, port := range typed.Spec.Ports {
			if len(typed.Spec.Ports) > 1 || port.Name != "" {
				addStrings("spec.ports.name", validation.IsValidPortName(port.Name))
			}
			if port.TargetPort.Type == intstr.String {
				addStrings("spec.ports.targetPort", validation.IsValidPortName(port.TargetPort.StrVal))
			}
		}
	case *policyv1.PodDisruptionBudget:
		if (typed.Spec.MinAvailable == nil) == (typed.Spec.MaxUnavailable == nil) {
			problems = append(problems, "spec: exactly one of minAvailable and maxUnavailable must be set")
		}
		problems = append(problems, selectorProblems(typed.Spec.Selector, nil, false)...)
	case *autoscalingv2.HorizontalPodAutoscaler:
		if typed.Spec.MinReplicas != nil && *typed.Spec.MinReplicas > typed.Spec.MaxReplicas {
			problems = append(problems, "spec.minReplicas: larger than maxReplicas")
		}
	case *corev1.Namespace:
		addStrings("metadata.name", validation.IsDNS1123Label(typed.Name))
	}
	return problems
}

// selectorProblems: a selector that parses and is not empty; with mustMatch, one that selects the
// given pod labels (a Deployment's selector must match its own template).
func selectorProblems(selector *metav1.LabelSelector, podLabels map[string]string, mustMatch bool) []string {
	if selector == nil {
		return []string{"spec.selector: required"}
	}
	parsed, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		return []string{fmt.Sprintf("spec.selector: %v", err)}
	}
	if parsed.Empty() {
		return []string{"spec.selector: empty, it would select every pod in the namespace"}
	}
	if mustMatch && !parsed.Matches(labels.Set(podLabels)) {
		return []string{"spec.selector: does not match the pod template's labels"}
	}
	return nil
}

func podProblems(pod *corev1.PodSpec) []string {
	var problems []string
	if len(pod.Containers) == 0 {
		problems = append(problems, "spec.template.spec.containers: at least one is required")
	}
	volumes := map[string]bool{}
	for _, volume := range pod.Volumes {
		volumes[volume.Name] = true
	}
	for _, container := range append(append([]corev1.Container{}, pod.InitContainers...), pod.Containers...) {
		where := fmt.Sprintf("container %q", container.Name)
		if container.Image == "" {
			problems = append(problems, where+": image is required")
		}
		ports := map[string]bool{}
		for _, port := range container.Ports {
			if port.Name != "" {
				ports[port.Name] = true
				for _, message := range validation.IsValidPortName(port.Name) {
					problems = append(problems, fmt.Sprintf("%s port %q: %s", where, port.Name, message))
				}
			}
		}
		for _, env := range container.Env {
			for _, message := range validation.IsEnvVarName(env.Name) {
				problems = append(problems, fmt.Sprintf("%s env %q: %s", where, env.Name, message))
			}
		}
		for _, mount := range container.VolumeMounts {
			if !volumes[mount.Name] {
				problems = append(problems, fmt.Sprintf("%s mounts volume %q, which the pod does not define", where, mount.Name))
			}
		}
		for name, probe := range map[string]*corev1.Probe{
			"livenessProbe": container.LivenessProbe, "readinessProbe": container.ReadinessProbe, "startupProbe": container.StartupProbe,
		} {
			if probe != nil && probe.HTTPGet != nil && probe.HTTPGet.Port.Type == intstr.String && !ports[probe.HTTPGet.Port.StrVal] {
				problems = append(problems, fmt.Sprintf("%s %s: port %q is not a named port of the container", where, name, probe.HTTPGet.Port.StrVal))
			}
		}
	}
	return problems
}
